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
  }, 90_000);
});
