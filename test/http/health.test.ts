import { describe, expect, it } from 'vitest';
import { gatewayPerTest, type Gateway } from '../support/start-gateway.js';
import { expectHealthShape } from './health-shape.js';

const start = gatewayPerTest();

async function health(g: Gateway) {
  const response = await g.get('/health');
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

describe('/health tells the truth in every state', () => {
  it('healthy: 200, the docs/http-api.md shape, readyz 200, livez 200', async () => {
    const g = await start();
    await g.waitForState('healthy');
    await g.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'count me' }] });
    const { status, body } = await health(g);
    expect(status).toBe(200);
    expectHealthShape(body, 'healthy');
    expect(body.message).toBeNull();
    expect(body.invoker_connected).toBe(true);
    expect(body.context_usage.turns).toBe(1);
    expect(body.context_usage.turn_pct).toBe(10);
    expect(body.stats.total_requests).toBe(1);
    expect(body.workers[0].pid).toBe(g.supervisor.pid('w1'));
    expect((await g.get('/readyz')).status).toBe(200);
    expect((await g.get('/livez')).status).toBe(200);
  });

  it('draining: 200, status draining, readyz 503 while no worker accepts', async () => {
    const g = await start();
    await g.waitForState('healthy');
    // In flight until the test abandons it, however slow the machine.
    const letGo = new AbortController();
    const slow = g.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: `[[slow:500]] ${'take your time '.repeat(40)}` }] }, { signal: letGo.signal }).catch(() => undefined);
    await g.waitFor((s) => s.context.busy);
    expect((await g.post('/admin/workers/w1/drain', {})).status).toBe(202);
    const { status, body } = await health(g);
    expect(status).toBe(200);
    expectHealthShape(body, 'draining');
    expect(body.stats.in_flight).toBe(1);
    expect((await g.get('/readyz')).status).toBe(503);
    letGo.abort();
    await slow;
    await g.waitFor((s) => s.matches('healthy') && s.context.run === 2);
  });

  it('restarting: 200, status restarting while a stubborn worker gets its grace', async () => {
    const g = await start({ workerEnv: { REF_WORKER_FAULT: 'ignore-sigterm' }, flags: ['--stop-grace-ms', '3000'] });
    await g.waitForState('healthy');
    await g.post('/admin/workers/w1/restart', {});
    await g.waitForState('restarting');
    const { status, body } = await health(g);
    expect(status).toBe(200);
    expectHealthShape(body, 'restarting');
    expect(body.message).toBe('restarting (admin_restart)');
  });

  it('recovering: 200, status recovering with the crash counted and the backoff in the message', async () => {
    const g = await start({ flags: ['--backoff-base-ms', '3000', '--backoff-max-ms', '3000'] });
    await g.waitForState('healthy');
    // Not awaited: the crashed request is re-dispatched after the backoff (and crashes again).
    void g.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: '[[crash:3]]' }] }).catch(() => undefined);
    await g.waitForState('recovering');
    const { status, body } = await health(g);
    expect(status).toBe(200);
    expectHealthShape(body, 'recovering');
    expect(body.stats.crash_count).toBe(1);
    expect(body.stats.recovery_attempts).toBe(1);
    expect(body.workers[0].last_exit).toMatchObject({ code: 3, class: 'crash' });
    expect(body.message).toMatch(/^recovering after crash; next start in ≤ 3\d{3} ms$/);
  });

  it('offline: 503 with the reason, every completion 503 worker_offline at once; recover brings it back', async () => {
    const g = await start({ flags: ['--max-consecutive-failures', '1'] });
    await g.waitForState('healthy');
    const ask = (content: string) => g.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content }] });
    // A poison request: it crashes the worker, is re-dispatched once, and crashes it again.
    await expect(ask('[[crash:1]]')).rejects.toMatchObject({ status: 502, code: 'worker_crashed' });
    await g.waitForState('offline');
    const { status, body } = await health(g);
    expect(status).toBe(503);
    expectHealthShape(body, 'offline');
    expect(body.message).toBe('Worker offline - manual restart required (2 consecutive failures (last: crash))');
    expect(body.invoker_connected).toBe(false);
    expect((await g.get('/readyz')).status).toBe(503);

    for (let i = 0; i < 3; i++) {
      const began = Date.now();
      const response = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: 'anyone?' }] });
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({
        error: { message: 'Worker offline - manual restart required', type: 'server_error', code: 'worker_offline' },
      });
      // At once: not queued (queue_wait_ms is 120 s); the bound is generous for a loaded machine.
      expect(Date.now() - began).toBeLessThan(10_000);
    }

    expect((await g.post('/admin/workers/w1/recover', {})).status).toBe(202);
    await g.waitForState('healthy');
    const answer = await ask('back again');
    expect(answer.choices[0]!.message.content).toBe('Echo: back again');
    expect((await health(g)).body.stats.recovery_attempts).toBe(0);
  });
});
