import { describe, expect, it } from 'vitest';
import { isAlive } from '../../src/process/process-table.js';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';
import { fixture } from '../support/drivers.js';
import { gatewayPerTest } from '../support/start-gateway.js';

const startGateway = gatewayPerTest();

async function start(flags: string[] = []) {
  const g = await startGateway({
    flags: ['--driver', 'openai-http', ...flags],
    workerCommand: [process.execPath, fixture('fake-openai-server.mjs'), '--port', '{port}'],
  });
  await g.waitForState('healthy');
  return g;
}

describe('--driver openai-http against a fake OpenAI-compatible server', () => {
  it('forwards non-streaming and streaming completions, with usage, and lists its models', async () => {
    const g = await start();
    const client = g.client();
    const completion = await client.chat.completions.create({ model: 'fake-llama', messages: [{ role: 'user', content: 'hi server' }] });
    expect(completion.choices[0]!.message.content).toBe('Echo: hi server');
    expect(completion.usage).toMatchObject({ completion_tokens: 3 });
    const stream = await client.chat.completions.create({ model: 'fake-llama', messages: [{ role: 'user', content: 'stream it' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: unknown = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('Echo: stream it');
    expect(usage).toMatchObject({ completion_tokens: 3 });
    expect((await client.models.list()).data.map((m) => m.id)).toEqual(['fake-llama']);
    expect(g.snapshotOf().context.usage.turns).toBe(2);
  });

  it('restarts proactively past 80 % of the turn limit, on a new port and pid', async () => {
    const g = await start(['--turn-limit', '5']);
    const firstPid = g.supervisor.pid('w1')!;
    for (let turn = 1; turn <= 4; turn++) await g.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: `turn ${turn}` }] });
    const answer = await g.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'fresh' }] });
    expect(answer.choices[0]!.message.content).toBe('Echo: fresh');
    expect(g.snapshotOf().context).toMatchObject({ run: 2, restartReason: 'proactive', crashCount: 0 });
    expect(isAlive(firstPid)).toBe(false);
  });

  it('a server that dies before answering: the request is re-dispatched to the restarted server', async () => {
    const g = await start();
    const firstPid = g.supervisor.pid('w1')!;
    const pending = g.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: '[[wait:1000]] patience' }] });
    await g.waitFor((s) => s.context.busy);
    process.kill(firstPid, 'SIGKILL');
    const answer = await pending;
    expect(answer.choices[0]!.message.content).toBe('Echo: patience');
    expect(g.snapshotOf().context.crashCount).toBe(1);
  });

  it('a stream that already started ends with an error event when the server dies', async () => {
    const g = await start();
    const response = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: '[[slow:300]] one two three four' }], stream: true });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = (await reader.read()).value ?? '';
    process.kill(g.supervisor.pid('w1')!, 'SIGKILL');
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    expect(text).toContain('"code":"worker_crashed"');
    expect(text).not.toContain('[DONE]');
  });

  it('passes tool calls through, non-streaming and streaming, then answers the tool result', async () => {
    const g = await start();
    const client = g.client();
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const completion = await client.chat.completions.create({ model: 'fake-llama', messages: [{ role: 'user', content: '[[tool]] Paris' }], tools });
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.tool_calls).toEqual([{ id: 'call_fake1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }]);

    const stream = await client.chat.completions.create({ model: 'fake-llama', messages: [{ role: 'user', content: '[[tool]] Oslo' }], tools, stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(deltas.length).toBe(3);
    expect(deltas[0]).toEqual({ index: 0, id: 'call_fake1', type: 'function', function: { name: 'get_weather', arguments: '{"' } });
    expect(deltas.map((d) => d.function?.arguments).join('')).toBe('{"city":"Oslo"}');
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('tool_calls');

    const answer = await client.chat.completions.create({
      model: 'fake-llama',
      messages: [{ role: 'user', content: '[[tool]] Paris' }, choice.message, { role: 'tool', tool_call_id: 'call_fake1', content: 'rain' }],
      tools,
    });
    expect(answer.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: 'Tool result: rain' } });
  });

  it('passes refusal, logprobs, unknown fields and usage details through, and keeps the upstream /v1/models entries', async () => {
    const g = await start();
    const client = g.client();
    const refused = await client.chat.completions.create({ model: 'fake-llama', messages: [{ role: 'user', content: '[[refuse]] do it' }] });
    expect(refused.choices[0]!.message).toMatchObject({ content: null, refusal: "I can't help with that." });
    const withLogprobs = await client.chat.completions.create({ model: 'fake-llama', messages: [{ role: 'user', content: 'two words' }], logprobs: true });
    expect(withLogprobs.choices[0]!.logprobs!.content!.map((l) => l.token)).toEqual(['Echo: ', 'two ', 'words']);
    expect(withLogprobs).toMatchObject({ system_fingerprint: 'b4242-fake', timings: { predicted_n: 3 } });
    expect(withLogprobs.usage).toMatchObject({ completion_tokens: 3, prompt_tokens_details: { cached_tokens: 2 } });

    const stream = await client.chat.completions.create({ model: 'fake-llama', messages: [{ role: 'user', content: '[[refuse]] x' }], logprobs: true, stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => (c.choices[0]?.delta as { refusal?: string } | undefined)?.refusal ?? '').join('')).toBe("I can't help with that.");
    expect(chunks.every((c) => c.system_fingerprint === 'b4242-fake')).toBe(true);
    expect(chunks.at(-1)).toMatchObject({ timings: { predicted_n: 2 }, choices: [{ finish_reason: 'stop' }] });

    const models = await client.models.list();
    expect(models.data).toEqual([{ id: 'fake-llama', object: 'model', created: 1700000000, owned_by: 'llamacpp', meta: { n_ctx_train: 4096 } }]);
  });

  it('refuses a worker command without {port}', () => {
    expect(() => loadConfig(['--driver', 'openai-http', '--', 'llama-server'], {})).toThrow(ConfigError);
  });
});
