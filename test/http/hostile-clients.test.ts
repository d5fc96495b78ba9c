import { describe, expect, it } from 'vitest';
import { fixture } from '../support/drivers.js';
import { idleSockets, rawPost, sseData } from '../support/raw-http.js';
import { gatewayPerTest } from '../support/start-gateway.js';

const start = gatewayPerTest();
const FLOOD = [process.execPath, fixture('flood-worker.mjs')];

describe('slow and odd clients', () => {
  it('a reader paused longer than the idle timeout gets its whole answer, and the worker is not restarted', async () => {
    const size = 8 * 1024 * 1024;
    // The idle limit is 5 s: wide enough that a loaded machine's scheduling delays while the worker floods
    // do not look like silence, so the only long silence is the client's pause. The wedge limit only
    // runs while the worker has the request, which ends before the pause; on a starved machine a 5 s
    // gap in the flood itself is possible, so it is wider still.
    const g = await start({
      workerCommand: FLOOD,
      flags: ['--idle-timeout-ms', '5000', '--wedge-timeout-ms', '30000', '--stream-buffer-bytes', String(64 * 1024 * 1024)],
    });
    await g.waitForState('healthy');
    const exchange = rawPost(g.url, '/v1/chat/completions', { messages: [{ role: 'user', content: `size:${size}` }], stream: true }, { paused: true });
    // The worker has said everything long before the client reads a byte.
    await g.waitFor((s) => !s.context.busy && s.context.run === 1, 'w1', 60_000);
    // A pause past the idle limit (a lower bound: a slower machine only makes it longer).
    await new Promise((resolve) => setTimeout(resolve, 5500));
    exchange.socket.resume();
    await exchange.closed;
    const events = sseData(exchange.text());
    expect(events.at(-1)).toBe('[DONE]');
    const content = events
      .slice(0, -1)
      .map((data) => (JSON.parse(data) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? '')
      .join('');
    expect(content.length).toBe(size);
    // The lifecycle lines say why, if the worker was restarted after all.
    expect(g.logs.filter((line) => /\[(RESTART|PROACTIVE|RECOVERY|OFFLINE|WARN)\]/.test(line))).toEqual([]);
    expect(g.snapshotOf().context).toMatchObject({ run: 1, restartCount: 0 });
  });

  it('a stream client that falls stream_buffer_bytes behind is cut off with client_too_slow, and the worker stops answering it', async () => {
    const g = await start({ workerCommand: FLOOD, flags: ['--stream-buffer-bytes', String(1024 * 1024), '--idle-timeout-ms', '20000'] });
    await g.waitForState('healthy');
    const exchange = rawPost(g.url, '/v1/chat/completions', { messages: [{ role: 'user', content: 'flood' }], stream: true }, { paused: true });
    await expect.poll(() => g.logs.join(''), { timeout: 60_000 }).toMatch(/\[STDERR\] cancelled /);
    expect(g.logs.join('')).toContain('stream_buffer_bytes');
    exchange.socket.resume();
    await exchange.closed;
    const last = JSON.parse(sseData(exchange.text()).at(-1)!) as { error: { code: string; message: string } };
    expect(last.error.code).toBe('client_too_slow');
    expect(last.error.message).toContain('1048576 bytes (stream_buffer_bytes)');
    await g.waitFor((s) => !s.context.busy);
    expect(g.snapshotOf().context.restartCount).toBe(0);
  });

  it('an HTTP/1.0 client gets its stream without chunked framing, ended by the close', async () => {
    const g = await start();
    await g.waitForState('healthy');
    const exchange = rawPost(g.url, '/v1/chat/completions', { messages: [{ role: 'user', content: 'old client' }], stream: true }, { httpVersion: '1.0' });
    await exchange.closed;
    const [head, body] = exchange.text().split('\r\n\r\n', 2) as [string, string];
    expect(head).toMatch(/^HTTP\/1\.1 200/);
    expect(head.toLowerCase()).not.toContain('transfer-encoding');
    expect(body.startsWith('data: ')).toBe(true);
    expect(sseData(body).at(-1)).toBe('[DONE]');
  });

  it('100 000-deep JSON is a 400 naming the body, at once', async () => {
    const g = await start();
    const began = Date.now();
    const response = await g.post('/v1/chat/completions', `{"messages":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'invalid_request', param: 'body', message: expect.stringContaining('nested more than') } });
    // "At once": nowhere near a hang (the generous bound holds on a loaded machine).
    expect(Date.now() - began).toBeLessThan(10_000);
    const deep = await g.post('/v1/chat/completions', `{"messages":[{"role":"user","content":"x"}],"meta":${'{"a":'.repeat(500_000)}1${'}'.repeat(500_000)}}`);
    expect(deep.status).toBe(400);
    expect(g.logs.join('')).not.toContain('unexpected error');
  });

  it('connections over max_connections get a 503 too_many_connections and are closed; the rest are served', async () => {
    const g = await start({ flags: ['--max-connections', '8'] });
    await g.waitForState('healthy');
    const idle = await idleSockets(g.url, 8);
    const refused = await g.get('/livez');
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: { code: 'too_many_connections' } });
    for (const socket of idle) socket.destroy();
    await expect.poll(async () => (await g.get('/livez')).status, { timeout: 60_000 }).toBe(200);
    expect(g.logs.join('')).toContain('[WARN] refusing connections: 8 are open');
  });

  it('a stream still running when the drain times out ends with a shutting_down error event', async () => {
    const g = await start({ flags: ['--drain-timeout-ms', '300'] });
    await g.waitForState('healthy');
    const response = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: '[[slow:2000]] one two three' }], stream: true });
    const reader = response.body!.getReader();
    const first = await reader.read();
    const shutdown = g.shutdown();
    let text = new TextDecoder().decode(first.value);
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += new TextDecoder().decode(chunk.value);
    await shutdown;
    expect(JSON.parse(sseData(text).at(-1)!)).toMatchObject({ error: { code: 'shutting_down' } });
  });

  it('a connection that sends no request is closed after header_timeout_ms', async () => {
    const g = await start({ flags: ['--header-timeout-ms', '300'] });
    const [socket] = await idleSockets(g.url, 1);
    // Read what the server says (a 408, or nothing), so its end is seen; it may be gone already.
    socket!.resume();
    if (!socket!.destroyed) await new Promise<void>((resolve) => socket!.once('close', () => resolve()));
  });
});
