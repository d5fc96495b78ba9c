import { describe, expect, it } from 'vitest';
import { fixture } from '../support/drivers.js';
import { rawPost, sseData } from '../support/raw-http.js';
import { gatewayPerTest } from '../support/start-gateway.js';

const start = gatewayPerTest();
const FLOOD = [process.execPath, fixture('flood-worker.mjs')];
const MiB = 1024 * 1024;
/** A 1 000-character word said `n` times: "Echo: " and the word, n times over (the case, scaled). */
const longAnswer = (n: number) => `${'w'.repeat(1000)} [[repeat:${n}]]`;

describe('answers are bounded, never held whole without a cap', () => {
  it('a non-streamed answer past max_answer_bytes is a 502 answer_too_large naming the cap, and the worker stops answering', async () => {
    const g = await start({ workerCommand: FLOOD, flags: ['--max-answer-bytes', String(MiB)] });
    await g.waitForState('healthy');
    // The flood worker answers until it is told to stop: without the cap this answer never ends.
    const response = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: 'flood' }] });
    expect(response.status).toBe(502);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('answer_too_large');
    expect(body.error.message).toContain(`${MiB} bytes (max_answer_bytes)`);
    await expect.poll(() => g.logs.join(''), { timeout: 20_000 }).toMatch(/\[STDERR\] cancelled /);
    const after = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: 'size:1000' }] });
    expect(after.status).toBe(200);
  }, 60_000);

  it("a streamed chat answer larger than max_answer_bytes is passed on whole; a Responses stream, which repeats the text at its end, ends with answer_too_large", async () => {
    const g = await start({ flags: ['--max-answer-bytes', String(MiB)] });
    await g.waitForState('healthy');
    const repeats = 2000; // ~2 MB of answer, twice the cap
    const chat = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: longAnswer(repeats) }], stream: true });
    const events = sseData(await chat.text());
    expect(events.at(-1)).toBe('[DONE]');
    const text = events
      .slice(0, -1)
      .map((data) => (JSON.parse(data) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? '')
      .join('');
    expect(text.length).toBe(repeats * ('Echo: '.length + 1000));

    const responses = await g.post('/v1/responses', { input: longAnswer(repeats), stream: true });
    const last = JSON.parse(sseData(await responses.text()).at(-1)!) as { type: string; code: string; message: string };
    expect(last).toMatchObject({ type: 'error', code: 'answer_too_large' });
    expect(last.message).toContain('max_answer_bytes');

    const whole = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: longAnswer(repeats) }] });
    expect(whole.status).toBe(502);
    expect(((await whole.json()) as { error: { code: string } }).error.code).toBe('answer_too_large');
    // The worker was told to stop, is free again and answers the next request.
    const next = await g.client().chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'still here' }] });
    expect(next.choices[0]!.message.content).toBe('Echo: still here');
    expect(g.snapshotOf().context.restartCount).toBe(0);
  }, 60_000);

  it('non-reading stream clients together past stream_budget_bytes: the furthest behind end with client_too_slow, lifeguard answers the others', async () => {
    const g = await start({
      workerCommand: FLOOD,
      flags: ['--workers', '2', '--stream-buffer-bytes', String(64 * MiB), '--stream-budget-bytes', String(4 * MiB), '--idle-timeout-ms', '20000'],
    });
    await g.waitForState('healthy', 'w1');
    await g.waitForState('healthy', 'w2');
    const nonReaders = Array.from({ length: 4 }, () => rawPost(g.url, '/v1/chat/completions', { messages: [{ role: 'user', content: 'flood' }], stream: true }, { paused: true }));
    // Each flood answer is cancelled at the worker once its stream is evicted: four "cancelled" lines.
    await expect.poll(() => g.logs.join('').match(/\[STDERR\] cancelled /g)?.length ?? 0, { timeout: 30_000 }).toBe(4);
    expect((await g.get('/livez')).status).toBe(200);
    const other = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: 'size:100000' }] });
    expect(other.status).toBe(200);
    for (const exchange of nonReaders) exchange.socket.resume();
    await Promise.all(nonReaders.map((exchange) => exchange.closed));
    for (const exchange of nonReaders) {
      const last = JSON.parse(sseData(exchange.text()).at(-1)!) as { error: { code: string; message: string } };
      expect(last.error.code).toBe('client_too_slow');
      expect(last.error.message).toContain(`${4 * MiB} bytes (stream_budget_bytes)`);
    }
    expect(g.logs.join('')).not.toContain('[ERROR]');
  }, 60_000);

  it('a streaming client that goes away mid-answer is logged at info, not as an error', async () => {
    const g = await start();
    await g.waitForState('healthy');
    const exchange = rawPost(g.url, '/v1/chat/completions', { messages: [{ role: 'user', content: 'bye [[repeat:200]] [[slow:20]]' }], stream: true });
    await expect.poll(() => sseData(exchange.text()).length, { timeout: 20_000 }).toBeGreaterThan(2);
    exchange.socket.destroy();
    await expect.poll(() => g.logs.join(''), { timeout: 20_000 }).toContain('stream client went away mid-answer');
    await g.waitFor((s) => !s.context.busy);
    const logs = g.logs.join('');
    expect(logs).toMatch(/\[INFO\] stream client went away mid-answer/);
    expect(logs).not.toContain('[ERROR]');
  }, 60_000);

  it('an answer line longer than max_line_bytes fails that request with a clear error, never a 200 with the text missing', async () => {
    const g = await start({ flags: ['--max-line-bytes', String(64 * 1024)] });
    await g.waitForState('healthy');
    const whole = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: '[[long-delta:128]] big' }] });
    expect(whole.status).toBe(502);
    const body = (await whole.json()) as { error: { code: string; message: string } };
    expect(body.error).toMatchObject({ code: 'worker_error' });
    expect(body.error.message).toContain('more than 65536 bytes (max_line_bytes) for this request');
    const streamed = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: 'x [[long-delta:128]]' }], stream: true });
    // Before its first event: an HTTP error like any other, not a stream.
    expect(streamed.status).toBe(502);
    expect(((await streamed.json()) as { error: { message: string } }).error.message).toContain('max_line_bytes');
    // Junk that is no message of the protocol is still skipped, and the answer after it is whole.
    const junk = await g.client().chat.completions.create({ model: 'x', messages: [{ role: 'user', content: '[[long-line:128]] fine' }] });
    expect(junk.choices[0]!.message.content).toBe('Echo: fine');
    expect(g.snapshotOf().context.crashCount).toBe(0);
  }, 60_000);
});
