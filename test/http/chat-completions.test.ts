import { describe, expect, it } from 'vitest';
import { isAlive } from '../../src/process/process-table.js';
import { gatewayPerTest } from '../support/start-gateway.js';

const start = gatewayPerTest();

describe('POST /v1/chat/completions through the reference worker (official openai SDK)', () => {
  it('answers a non-streaming completion with usage', async () => {
    const g = await start();
    const completion = await g.client().chat.completions.create({
      model: 'lifeguard-reference',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello lifeguard' },
      ],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('lifeguard-reference');
    expect(completion.choices[0]).toMatchObject({ index: 0, message: { role: 'assistant', content: 'Echo: hello lifeguard' }, finish_reason: 'stop' });
    expect(completion.usage!.completion_tokens).toBe(3);
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + 3);
  });

  it('streams chat.completion.chunk events ending in [DONE], with usage when include_usage is set', async () => {
    const g = await start();
    const stream = await g.client().chat.completions.create({
      model: 'lifeguard-reference',
      messages: [{ role: 'user', content: 'stream these words' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Echo: stream these words');
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(chunks.at(-1)!.usage).toMatchObject({ completion_tokens: 4 });
  });

  it('the raw stream ends with data: [DONE]', async () => {
    const g = await start();
    const response = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: 'raw' }], stream: true });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text();
    expect(text.trim().endsWith('data: [DONE]')).toBe(true);
    expect(text).not.toContain('"usage"');
  });

  it('lists the models the workers serve', async () => {
    const g = await start();
    await g.waitForState('healthy');
    const models = await g.client().models.list();
    expect(models.data.map((m) => m.id)).toEqual(['lifeguard-reference']);
  });

  it('every response carries an X-Request-Id: the client’s own when valid, else a new one', async () => {
    const g = await start();
    // A new one: this process's random prefix (12 hex digits) and a counter (src/util/unique-id.ts), never twice the same.
    const fresh = /^[0-9a-f]{12}[0-9a-z]+$/;
    const first = (await g.get('/health')).headers.get('x-request-id');
    expect(first).toMatch(fresh);
    expect((await g.get('/health', { 'x-request-id': 'trace-42=' })).headers.get('x-request-id')).toBe('trace-42=');
    const replaced = (await g.get('/health', { 'x-request-id': 'not valid!' })).headers.get('x-request-id');
    expect(replaced).toMatch(fresh);
    expect(replaced).not.toBe(first);
    expect((await g.get('/v1/nothing', { 'x-request-id': 'x'.repeat(256) })).headers.get('x-request-id')).toMatch(fresh);
    const answered = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: 'hi' }] }, { 'x-request-id': 'mine' });
    expect(answered.headers.get('x-request-id')).toBe('mine');
  });
});

describe('a worker that dies mid-request', () => {
  it('a request with no byte sent yet is re-dispatched and succeeds on the restarted worker', async () => {
    const g = await start();
    await g.waitForState('healthy');
    const firstPid = g.supervisor.pid('w1')!;
    const pending = g.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: '[[wait:2000]] x' }] });
    await g.waitFor((s) => s.context.busy);
    process.kill(firstPid, 'SIGKILL');
    const completion = await pending;
    expect(completion.choices[0]!.message.content).toBe('Echo: x');
    expect(g.supervisor.pid('w1')).not.toBe(firstPid);
    expect(g.snapshotOf().context.crashCount).toBe(1);
  });

  it('a stream that has not sent a byte yet is re-dispatched too', async () => {
    const g = await start();
    await g.waitForState('healthy');
    const firstPid = g.supervisor.pid('w1')!;
    const streamPromise = g.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: '[[wait:2000]] nothing yet' }], stream: true });
    await g.waitFor((s) => s.context.busy);
    process.kill(firstPid, 'SIGKILL');
    let text = '';
    for await (const chunk of await streamPromise) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Echo: nothing yet');
    expect(g.snapshotOf().context).toMatchObject({ crashCount: 1, run: 2 });
  });

  it('a stream already started ends with an error event, not a hang', async () => {
    const g = await start();
    await g.waitForState('healthy');
    const response = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: '[[crash-mid:9]] half an answer' }], stream: true });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('"content":"Echo: "');
    const events = text.trim().split('\n\n');
    expect(JSON.parse(events.at(-1)!.replace(/^data: /, ''))).toMatchObject({ error: { code: 'worker_crashed', type: 'server_error' } });
    expect(text).not.toContain('[DONE]');
  });

  it('the SDK surfaces the mid-stream error as an exception', async () => {
    const g = await start();
    const stream = await g.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: '[[crash-mid:9]] half' }], stream: true });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
      })(),
    ).rejects.toThrow(/Worker w1 exited/);
    expect(seen).toEqual(['Echo: ']);
  });

  it('a client that disconnects mid-stream cancels the request at the worker, which keeps serving', async () => {
    const g = await start();
    await g.waitForState('healthy');
    const controller = new AbortController();
    const response = await fetch(`${g.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // Deltas 3 s apart: the abort lands mid-answer however slow the machine.
      body: JSON.stringify({ messages: [{ role: 'user', content: '[[slow:3000]] one two three four five six' }], stream: true }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await g.waitFor((s) => !s.context.busy);
    // A log line is not a state change: poll for it (bounded) rather than wait on the supervisor's events.
    await expect.poll(() => g.logs.some((line) => /\[STDERR\] cancelled [0-9a-z]{13,}/.test(line))).toBe(true);
    const pid = g.supervisor.pid('w1')!;
    const completion = await g.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'next' }] });
    expect(completion.choices[0]!.message.content).toBe('Echo: next');
    expect(g.supervisor.pid('w1')).toBe(pid);
    expect(isAlive(pid)).toBe(true);
    expect(g.snapshotOf().context.crashCount).toBe(0);
    // The worker's late words about the cancelled request are expected, not warnings.
    expect(g.logs.filter((line) => line.includes('unknown request'))).toEqual([]);
  });
});

describe('request timeout', () => {
  it('a request that outlives request_timeout_ms gets 504 request_timeout', async () => {
    const g = await start({ flags: ['--request-timeout-ms', '300'] });
    const response = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: '[[wait:3000]] too slow' }] });
    expect(response.status).toBe(504);
    expect(await response.json()).toMatchObject({ error: { code: 'request_timeout', message: 'The request took longer than 300 ms' } });
    await g.waitFor((s) => !s.context.busy);
  });

  it('a stream that outlives it ends with a request_timeout error event', async () => {
    // The first delta comes at once, the next after 20 s: the limit falls between them, however slow the machine.
    const g = await start({ flags: ['--request-timeout-ms', '1500'] });
    await g.waitForState('healthy');
    const response = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: '[[slow:20000]] one two three four' }], stream: true });
    const text = await response.text();
    expect(text).toContain('"content":"Echo: "');
    expect(text).toContain('"code":"request_timeout"');
    expect(text).not.toContain('[DONE]');
  });
});

describe('idle timeout', () => {
  it('a worker that keeps sending heartbeats but no answer: 504 after idle_timeout_ms, and the wedged worker is restarted', async () => {
    const g = await start({ flags: ['--idle-timeout-ms', '400'], workerEnv: { REF_WORKER_HEARTBEAT_MS: '50' } });
    await g.waitForState('healthy');
    const firstPid = g.supervisor.pid('w1');
    const began = Date.now();
    const response = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: '[[hang]] silence' }] });
    expect(response.status).toBe(504);
    expect(await response.json()).toMatchObject({ error: { code: 'request_timeout', message: 'The worker sent nothing for 400 ms' } });
    // Far below the request timeout (600 s): the silence ended it, not the end-to-end limit.
    expect(Date.now() - began).toBeLessThan(20_000);
    const snapshot = await g.waitFor((s) => s.matches('healthy') && s.context.run === 2);
    expect(snapshot.context).toMatchObject({ restartReason: 'wedge', crashCount: 0 });
    expect(g.supervisor.pid('w1')).not.toBe(firstPid);
    const next = await g.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'answered again' }] });
    expect(next.choices[0]!.message.content).toBe('Echo: answered again');
  });

  it('a stream that goes silent ends with a request_timeout error event', async () => {
    // Sent before the worker is ready: the idle limit starts when a worker takes the request. The next
    // delta would come after 20 s, so only the idle limit can end the stream.
    const g = await start({ flags: ['--idle-timeout-ms', '300', '--request-timeout-ms', '25000'] });
    const response = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: '[[slow:20000]] one two' }], stream: true });
    const text = await response.text();
    expect(text).toContain('"content":"Echo: "');
    expect(text).toContain('The worker sent nothing for 300 ms');
  });

  it('a request that waited for a worker longer than idle_timeout_ms still gets its idle limit once a worker holds it', async () => {
    // The worker ignores SIGTERM and has a 1.5 s grace: a request sent during the restart waits at least
    // that long, well past the 300 ms idle limit, before the next run takes it.
    const g = await start({ workerEnv: { REF_WORKER_FAULT: 'ignore-sigterm' }, flags: ['--idle-timeout-ms', '300', '--request-timeout-ms', '25000', '--stop-grace-ms', '1500'] });
    await g.waitForState('healthy');
    await g.post('/admin/workers/w1/restart', {});
    await g.waitForState('restarting');
    const began = Date.now();
    const response = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: '[[hang]] silence after the wait' }] });
    // Far inside the 25 s end-to-end limit (near which both limits are due at once).
    expect(Date.now() - began).toBeLessThan(15_000);
    expect(response.status).toBe(504);
    expect(await response.json()).toMatchObject({ error: { code: 'request_timeout', message: 'The worker sent nothing for 300 ms' } });
    expect(g.snapshotOf().context.run).toBeGreaterThanOrEqual(2);
  });
});
