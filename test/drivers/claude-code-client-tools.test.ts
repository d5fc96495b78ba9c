import { afterEach, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import type { FakeAnthropic } from '../fixtures/fake-anthropic-api.js';
import type { SupervisorEvent } from '../../src/supervisor/supervisor.js';
import { CLAUDE_CLI, startClaudeFixture } from '../support/claude-code.js';
import { startGateway, type Gateway } from '../support/start-gateway.js';

type Json = Record<string, any>;
type Message = OpenAI.Chat.Completions.ChatCompletionMessageParam;

const running: Array<{ g: Gateway; api: FakeAnthropic }> = [];
afterEach(async () => {
  for (const { g, api } of running.splice(0)) {
    await g.shutdown();
    await api.close();
  }
});

// lifeguard over the real CLI 2.1.112, one process (no standby), against the fake Anthropic API.
async function start(flags: string[] = [], deltaDelayMs = 0) {
  const fixture = await startClaudeFixture({ deltaDelayMs });
  const g = await startGateway({
    flags: ['--driver', 'claude-code', '--model', 'claude-sonnet-4-5', '--worker-cwd', fixture.cwd, '--startup-timeout-ms', '20000', '--standby', '0', ...flags],
    workerCommand: [process.execPath, CLAUDE_CLI],
    workerEnv: fixture.env,
  });
  running.push({ g, api: fixture.api });
  await g.waitFor((s) => s.hasTag('accepting'), 'w1', 30_000);
  const routes: Array<Extract<SupervisorEvent, { type: 'routed' }>> = [];
  g.supervisor.subscribe((event) => {
    if (event.type === 'routed') routes.push(event);
  });
  return { g, api: fixture.api, routes };
}

const weather: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};
const clock: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_time', description: 'The time in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
};

/** The tools one upstream request offered the model: name, description, schema. */
const offered = (body: Json) => ((body.tools ?? []) as Json[]).map((tool) => ({ name: tool.name, description: tool.description, input_schema: tool.input_schema }));
/** The tool_result blocks of an upstream request's last user message. */
const toolResults = (body: Json) => {
  const last = (body.messages as Json[]).filter((m) => m.role === 'user').at(-1)!;
  return (Array.isArray(last.content) ? last.content : []).filter((block: Json) => block.type === 'tool_result');
};
const resultText = (block: Json) => (typeof block.content === 'string' ? block.content : (block.content as Json[]).map((c) => c.text ?? '').join(''));

describe('client tools through the real Claude Code CLI (issue 23)', () => {
  it('an OpenAI chat tool round: the call comes back as tool_calls, the result continues the same CLI turn on the same process, two model calls upstream', async () => {
    const { g, api, routes } = await start();
    const pid = g.supervisor.pid('w1');
    api.reply({ calls: [{ name: 'get_weather', input: { city: 'Paris' } }] }, 'Sunny in Paris.');
    const client = g.client();
    const messages: Message[] = [{ role: 'user', content: 'Weather in Paris?' }];
    const first = await client.chat.completions.create({ model: 'claude-sonnet-4-5', messages, tools: [weather] });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.tool_calls).toEqual([{ id: 'toolu_fake_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }]);
    expect(first.usage!.completion_tokens).toBeGreaterThan(0);
    // The model saw the client's tool, as sent, and nothing else (no Bash, Read, …).
    expect(api.requests).toHaveLength(1);
    expect(offered(api.requests[0]!)).toEqual([{ name: 'get_weather', description: 'The weather in a city', input_schema: weather.function.parameters }]);
    expect(g.supervisor.snapshots()[0]!.parkedToolCalls).toBe(1);
    const health = (await (await g.get('/health')).json()) as Json;
    expect(health.workers[0].parked_tool_calls).toBe(1);

    messages.push(choice.message, { role: 'tool', tool_call_id: 'toolu_fake_1', content: 'sunny, 21 °C' });
    const second = await client.chat.completions.create({ model: 'claude-sonnet-4-5', messages, tools: [weather] });
    expect(second.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: 'Sunny in Paris.' } });
    expect(api.requests).toHaveLength(2);
    expect(toolResults(api.requests[1]!)).toEqual([expect.objectContaining({ tool_use_id: 'toolu_fake_1' })]);
    expect(resultText(toolResults(api.requests[1]!)[0])).toBe('sunny, 21 °C');
    expect(routes.map((r) => `${r.result}:${r.workerId}`)).toEqual(['new:w1', 'continued:w1']);
    expect(g.supervisor.pid('w1')).toBe(pid);
    expect(g.supervisor.snapshots()[0]!.parkedToolCalls).toBe(0);
    // The context the process holds is the last API call's (input + output), not the sum of the turn's two calls.
    const lastInput = Math.ceil(JSON.stringify(api.requests[1]!.messages).length / 4);
    expect(g.supervisor.snapshots()[0]!.snapshot.context.usage.tokens).toBe(lastInput + 3);
  }, 90_000);

  it('an OpenAI chat tool round, streamed: delta.tool_calls and finish_reason tool_calls, then the rest of the turn streams into the next response', async () => {
    const { g, api } = await start();
    api.reply({ text: 'Let me look. ', calls: [{ name: 'get_weather', input: { city: 'Oslo' } }] }, 'Snow in Oslo.');
    const client = g.client();
    const messages: Message[] = [{ role: 'user', content: 'Weather in Oslo?' }];
    const stream = await client.chat.completions.create({ model: 'm', messages, tools: [weather], stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Let me look. ');
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls).toEqual([expect.objectContaining({ index: 0, id: 'toolu_fake_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } })]);
    expect(chunks.find((c) => c.choices[0]?.finish_reason)!.choices[0]!.finish_reason).toBe('tool_calls');
    expect(chunks.at(-1)!.usage!.completion_tokens).toBeGreaterThan(0);

    messages.push({ role: 'assistant', content: 'Let me look. ', tool_calls: [{ id: 'toolu_fake_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] });
    messages.push({ role: 'tool', tool_call_id: 'toolu_fake_1', content: 'snow, -3 °C' });
    const rest = await client.chat.completions.create({ model: 'm', messages, tools: [weather], stream: true, stream_options: { include_usage: true } });
    const more = [];
    for await (const chunk of rest) more.push(chunk);
    expect(more.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Snow in Oslo.');
    expect(more.find((c) => c.choices[0]?.finish_reason)!.choices[0]!.finish_reason).toBe('stop');
    // Usage per HTTP response: this one's API call alone (3 words), not the CLI turn's total.
    expect(more.at(-1)!.usage!.completion_tokens).toBe(3);
    expect(api.requests).toHaveLength(2);
    expect(resultText(toolResults(api.requests[1]!)[0])).toBe('snow, -3 °C');
  }, 90_000);

  it('a Responses tool round: a function_call item, then its function_call_output continues the turn', async () => {
    const { g, api } = await start();
    api.reply({ calls: [{ name: 'get_weather', input: { city: 'Rome' } }] }, 'Warm in Rome.');
    const client = g.client();
    const tools: OpenAI.Responses.Tool[] = [{ type: 'function', name: 'get_weather', description: 'The weather in a city', parameters: weather.function.parameters!, strict: false }];
    const first = await client.responses.create({ model: 'm', input: 'Weather in Rome?', tools });
    expect(first.output).toEqual([expect.objectContaining({ type: 'function_call', call_id: 'toolu_fake_1', name: 'get_weather', arguments: '{"city":"Rome"}' })]);
    const second = await client.responses.create({
      model: 'm',
      tools,
      input: [
        { role: 'user', content: 'Weather in Rome?' },
        { type: 'function_call', call_id: 'toolu_fake_1', name: 'get_weather', arguments: '{"city":"Rome"}' },
        { type: 'function_call_output', call_id: 'toolu_fake_1', output: 'warm, 28 °C' },
      ],
    });
    expect(second.output_text).toBe('Warm in Rome.');
    expect(api.requests).toHaveLength(2);
    expect(offered(api.requests[0]!).map((t) => t.name)).toEqual(['get_weather']);
    expect(resultText(toolResults(api.requests[1]!)[0])).toBe('warm, 28 °C');
  }, 90_000);

  it('an Anthropic tool round through @anthropic-ai/sdk: tool_use blocks, then tool_results (an image passes through, is_error stays an error)', async () => {
    const { g, api } = await start();
    api.reply({ calls: [{ name: 'screenshot', input: { page: 'home' } }, { name: 'screenshot', input: { page: 'about' } }] }, 'It looks broken.');
    const anthropic = new Anthropic({ baseURL: g.url, apiKey: 'unused', maxRetries: 0 });
    const tools: Anthropic.Tool[] = [{ name: 'screenshot', description: 'A screenshot of a page', input_schema: { type: 'object', properties: { page: { type: 'string' } } } }];
    const history: Anthropic.MessageParam[] = [{ role: 'user', content: 'Show me the home and about pages' }];
    const first = await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: history, tools });
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content).toEqual([
      { type: 'tool_use', id: 'toolu_fake_1', name: 'screenshot', input: { page: 'home' } },
      { type: 'tool_use', id: 'toolu_fake_1_1', name: 'screenshot', input: { page: 'about' } },
    ]);
    expect(first.usage.output_tokens).toBeGreaterThan(0);
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
    history.push({ role: 'assistant', content: first.content });
    history.push({
      role: 'user',
      content: [
        {
          type: 'tool_result',
          tool_use_id: 'toolu_fake_1',
          content: [
            { type: 'text', text: 'the home page' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } },
          ],
        },
        { type: 'tool_result', tool_use_id: 'toolu_fake_1_1', is_error: true, content: 'about: 404' },
      ],
    });
    const second = await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: history, tools });
    expect(second.content).toEqual([{ type: 'text', text: 'It looks broken.' }]);
    expect(api.requests).toHaveLength(2);
    const results = toolResults(api.requests[1]!);
    const home = results.find((b: Json) => b.tool_use_id === 'toolu_fake_1');
    const about = results.find((b: Json) => b.tool_use_id === 'toolu_fake_1_1');
    expect(home.is_error ?? false).toBe(false);
    expect(home.content).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'image', source: expect.objectContaining({ data: png, media_type: 'image/png' }) })]));
    expect(JSON.stringify(home.content)).toContain('the home page');
    expect(about).toMatchObject({ is_error: true });
    expect(resultText(about)).toContain('about: 404');
  }, 90_000);

  it('two parallel calls in one model message come back together; both results answer them in one turn (an omitted one gets an error result)', async () => {
    const { g, api, routes } = await start();
    api.reply(
      { calls: [{ name: 'get_weather', input: { city: 'Paris' } }, { name: 'get_time', input: { city: 'Paris' } }] },
      { calls: [{ name: 'get_weather', input: { city: 'Lyon' } }, { name: 'get_time', input: { city: 'Lyon' } }] },
      'Done.',
    );
    const client = g.client();
    const messages: Message[] = [{ role: 'user', content: 'Weather and time in Paris, then Lyon?' }];
    const first = await client.chat.completions.create({ model: 'm', messages, tools: [weather, clock] });
    const calls = first.choices[0]!.message.tool_calls!;
    expect(calls.map((c) => [c.id, c.type === 'function' && c.function.name])).toEqual([
      ['toolu_fake_1', 'get_weather'],
      ['toolu_fake_1_1', 'get_time'],
    ]);
    expect(g.supervisor.snapshots()[0]!.parkedToolCalls).toBe(2);
    messages.push(first.choices[0]!.message, { role: 'tool', tool_call_id: 'toolu_fake_1', content: 'rain' }, { role: 'tool', tool_call_id: 'toolu_fake_1_1', content: '10:00' });
    const second = await client.chat.completions.create({ model: 'm', messages, tools: [weather, clock] });
    expect(second.choices[0]!.finish_reason).toBe('tool_calls');
    expect(api.requests).toHaveLength(2);
    expect(toolResults(api.requests[1]!).map((b: Json) => [b.tool_use_id, resultText(b), b.is_error ?? false])).toEqual([
      ['toolu_fake_1', 'rain', false],
      ['toolu_fake_1_1', '10:00', false],
    ]);

    // The client answers only one of the next two calls: the other gets an error result, the turn goes on.
    messages.push(second.choices[0]!.message, { role: 'tool', tool_call_id: 'toolu_fake_2', content: 'sun' });
    const third = await client.chat.completions.create({ model: 'm', messages, tools: [weather, clock] });
    expect(third.choices[0]!.message.content).toBe('Done.');
    expect(api.requests).toHaveLength(3);
    // (In the order the calls were answered: the CLI collects results as they come.)
    expect(toolResults(api.requests[2]!).map((b: Json) => [b.tool_use_id, resultText(b), b.is_error ?? false]).sort()).toEqual([
      ['toolu_fake_2', 'sun', false],
      ['toolu_fake_2_1', 'The client returned no result for this tool call.', true],
    ]);
    expect(routes.map((r) => `${r.result}:${r.workerId}`)).toEqual(['new:w1', 'continued:w1', 'continued:w1']);
  }, 120_000);

  it('a changed tool set: the conversation moves to a fresh process that offers exactly the new tools, and its tool works', async () => {
    const { g, api, routes } = await start();
    const pid = g.supervisor.pid('w1');
    api.reply('Hello.', { calls: [{ name: 'get_time', input: { city: 'Oslo' } }] }, 'It is noon.');
    const client = g.client();
    const messages: Message[] = [{ role: 'user', content: 'Hi' }];
    const first = await client.chat.completions.create({ model: 'm', messages, tools: [weather] });
    messages.push(first.choices[0]!.message as Message, { role: 'user', content: 'And the time in Oslo?' });
    const second = await client.chat.completions.create({ model: 'm', messages, tools: [clock] });
    expect(second.choices[0]!.message.tool_calls![0]).toMatchObject({ id: 'toolu_fake_2', function: { name: 'get_time' } });
    messages.push(second.choices[0]!.message, { role: 'tool', tool_call_id: 'toolu_fake_2', content: '12:00' });
    const third = await client.chat.completions.create({ model: 'm', messages, tools: [clock] });
    expect(third.choices[0]!.message.content).toBe('It is noon.');
    expect(api.requests.map((body) => offered(body).map((t) => t.name))).toEqual([['get_weather'], ['get_time'], ['get_time']]);
    expect(resultText(toolResults(api.requests[2]!)[0])).toBe('12:00');
    // The fresh process got the history folded into its first turn.
    expect(JSON.stringify(api.requests[1]!.messages)).toContain('Hi');
    expect(routes.map((r) => r.result)).toEqual(['new', 'continued', 'lost', 'continued']);
    expect(g.supervisor.pid('w1')).not.toBe(pid);
    expect(g.logs.join('\n')).toContain('tool_set_changed');
  }, 120_000);

  it('a client that never comes back: after tool_call_timeout_ms the turn is interrupted (no further model call) and the process recycled', async () => {
    const { g, api } = await start(['--tool-call-timeout-ms', '1500']);
    const pid = g.supervisor.pid('w1');
    api.reply({ calls: [{ name: 'get_weather', input: { city: 'Paris' } }] });
    const recycled = new Promise<void>((resolve) => {
      g.supervisor.subscribe((event) => {
        if (event.type === 'transition' && event.workerId === 'w1' && event.to === 'draining') resolve();
      });
    });
    const first = await g.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Weather?' }], tools: [weather] });
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    await recycled;
    const fresh = await g.waitFor((s) => s.hasTag('accepting') && s.context.pid !== pid, 'w1', 30_000);
    expect(fresh.context.restartReason).toBe('recycle');
    expect(api.requests).toHaveLength(1);
    expect(g.supervisor.snapshots()[0]!.parkedToolCalls).toBe(0);
    expect(g.logs.join('\n')).toContain('tool_call_timeout_ms');
  }, 90_000);

  it('a client that disconnects before the answer with the calls is complete: the turn is interrupted, nothing stays parked, the process serves on', async () => {
    const { g, api } = await start([], 150);
    api.reply({ text: 'Let me check that for you in a moment. ', calls: [{ name: 'get_weather', input: { city: 'Paris' } }] });
    const response = await g.post('/v1/chat/completions', { model: 'm', stream: true, messages: [{ role: 'user', content: 'Weather?' }], tools: [weather] });
    const reader = response.body!.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain('data:');
    await reader.cancel();
    await g.waitFor((s) => !s.context.busy, 'w1', 30_000);
    expect(g.supervisor.snapshots()[0]!.parkedToolCalls).toBe(0);
    const after = await g.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'still there?' }] });
    expect(after.choices[0]!.message.content).toBe('Echo: still there?');
    expect(api.requests).toHaveLength(2);
  }, 90_000);

  it('parked calls keep the process busy and count as activity: a park longer than wedge_timeout_ms and session_idle_ms restarts and recycles nothing, and the round then completes', async () => {
    // (Long enough for the CLI's own silences on a busy machine before the park.)
    const { g, api } = await start(['--wedge-timeout-ms', '2500', '--session-idle-ms', '1000']);
    const pid = g.supervisor.pid('w1');
    api.reply({ calls: [{ name: 'get_weather', input: { city: 'Paris' } }] }, 'Sunny.');
    const restarts: string[] = [];
    g.supervisor.subscribe((event) => {
      if (event.type === 'transition' && event.workerId === 'w1') restarts.push(event.to);
      if (event.type === 'recycled') restarts.push(`recycled ${event.reason}`);
    });
    const messages: Message[] = [{ role: 'user', content: 'Weather?' }];
    const first = await g.client().chat.completions.create({ model: 'm', messages, tools: [weather] });
    expect(g.snapshotOf().context.busy).toBe(true);
    // Silent stdout for over two wedge timeouts (a negative can only be shown by waiting).
    await new Promise((resolve) => setTimeout(resolve, 6000));
    expect(restarts).toEqual([]);
    expect(g.supervisor.pid('w1')).toBe(pid);
    expect(g.snapshotOf().context.busy).toBe(true);
    messages.push(first.choices[0]!.message, { role: 'tool', tool_call_id: 'toolu_fake_1', content: 'sunny' });
    const second = await g.client().chat.completions.create({ model: 'm', messages, tools: [weather] });
    expect(second.choices[0]!.message.content).toBe('Sunny.');
    expect(g.supervisor.pid('w1')).toBe(pid);
    await g.waitFor((s) => !s.context.busy, 'w1', 10_000);
  }, 90_000);

  it('claude_builtin_tools opts in to named built-in tools: the model is offered those next to the client\'s, and a client tool of the same name is a 400', async () => {
    const { g, api } = await start(['--claude-builtin-tools', 'Read,Grep']);
    const clash = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function', function: { name: 'Read', parameters: { type: 'object' } } }] });
    expect(clash.status).toBe(400);
    expect(await clash.json()).toMatchObject({ error: { param: 'tools[0].function.name', message: expect.stringContaining('built-in') } });
    await g.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], tools: [weather] });
    expect(offered(api.requests[0]!).map((t) => t.name).sort()).toEqual(['Grep', 'Read', 'get_weather']);
  }, 90_000);
});
