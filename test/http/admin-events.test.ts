import { describe, expect, it } from 'vitest';
import { gatewayPerTest } from '../support/start-gateway.js';

const startGateway = gatewayPerTest();

// Reads SSE events from a response until `until` says stop (bounded by a timeout).
async function readEvents(response: Response, until: (events: Array<{ event: string; data: any }>) => boolean, timeoutMs = 60_000) {
  const events: Array<{ event: string; data: any }> = [];
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const deadline = Date.now() + timeoutMs;
  let buffer = '';
  while (!until(events)) {
    if (Date.now() > deadline) throw new Error(`no matching event in ${timeoutMs} ms: ${events.map((e) => e.event).join(', ')}`);
    const { value, done } = await Promise.race([
      reader.read(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no event within ${timeoutMs} ms: ${events.map((e) => e.event).join(', ')}`)), Math.max(1, deadline - Date.now()))),
    ]);
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (data) events.push({ event, data: JSON.parse(data) });
    }
  }
  await reader.cancel();
  return events;
}

describe('GET /admin/events', () => {
  it('starts with the current snapshot of every worker, then streams transitions and health figures', async () => {
    const g = await startGateway({ flags: ['--workers', '2'] });
    await g.waitForState('healthy', 'w1');
    await g.waitForState('healthy', 'w2');
    const response = await g.get('/admin/events');
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const restart = setTimeout(() => void g.post('/admin/workers/w2/restart', {}), 100);
    const events = await readEvents(response, (seen) =>
      seen.some((e) => e.event === 'transition' && e.data.worker === 'w2' && e.data.to === 'healthy') && seen.some((e) => e.event === 'health'),
    );
    clearTimeout(restart);
    expect(events[0]!.event).toBe('snapshot');
    expect(events[0]!.data.workers).toEqual([
      { id: 'w1', value: { healthy: 'idle' }, tags: ['accepting'] },
      { id: 'w2', value: { healthy: 'idle' }, tags: ['accepting'] },
    ]);
    expect(events[0]!.data.health).toMatchObject({ status: 'healthy', stats: { restart_count: 0 } });
    const path = events.filter((e) => e.event === 'transition').map((e) => `${e.data.from}→${e.data.to}`);
    // Nothing was in flight, so draining ends within the same step and is never a snapshot of its own.
    expect(path).toEqual(['healthy→restarting', 'restarting→starting', 'starting→healthy']);
    expect(events.find((e) => e.event === 'transition')!.data).toMatchObject({ worker: 'w2', restart_reason: 'admin_restart' });
  });

  it('without an admin token, a same-host proxy does not lend its loopback address: 403 over real HTTP', async () => {
    const g = await startGateway();
    await g.waitForState('healthy');
    const proxied = { 'x-forwarded-for': '203.0.113.7' };
    const events = await g.get('/admin/events', proxied);
    expect(events.status).toBe(403);
    expect(((await events.json()) as { error: { message: string } }).error.message).toContain('came through a proxy');
    expect((await g.post('/admin/workers/w1/restart', {}, { forwarded: 'for=203.0.113.7' })).status).toBe(403);
    expect(g.snapshotOf().context.run).toBe(1);
    expect((await g.get('/admin/state')).status).toBe(200);
  });

  it('needs the admin token when one is configured', async () => {
    const g = await startGateway({ flags: ['--admin-token', 'secret'] });
    expect((await g.get('/admin/events')).status).toBe(401);
    const response = await g.get('/admin/events', { authorization: 'Bearer secret' });
    expect(response.status).toBe(200);
    await response.body!.cancel();
  });
});
