import { describe, expect, it } from 'vitest';
import { sseData } from '../support/raw-http.js';
import { gatewayPerTest } from '../support/start-gateway.js';

const start = gatewayPerTest();

describe('re-dispatch under a crash storm', () => {
  it('requests that share a worker with a crashing one are answered by a healthy worker; only the crashing request sees worker_crashed', async () => {
    const g = await start({ flags: ['--workers', '2', '--max-consecutive-failures', '0'], workerEnv: { REF_WORKER_CONCURRENCY: '8' } });
    await g.waitForState('healthy', 'w1');
    await g.waitForState('healthy', 'w2');
    const ask = (content: string, stream = false) => g.post('/v1/chat/completions', { messages: [{ role: 'user', content }], stream });
    for (let round = 0; round < 3; round++) {
      // Innocent requests spread over both workers, each busy for a moment; then one that crashes its worker.
      const innocents = [1, 2, 3, 4].map((n) => ask(`[[wait:400]] innocent ${round}.${n}`, n % 2 === 0));
      await expect.poll(() => g.supervisor.stats().inFlight, { timeout: 20_000 }).toBe(4);
      const crashing = ask('[[crash:1]] this one asked for it');
      const crashed = await crashing;
      expect(crashed.status).toBe(502);
      expect(((await crashed.json()) as { error: { code: string } }).error.code).toBe('worker_crashed');
      for (const [index, pending] of innocents.entries()) {
        const response = await pending;
        expect(response.status).toBe(200);
        const n = index + 1;
        if (n % 2 === 0) {
          const events = sseData(await response.text());
          expect(events.at(-1)).toBe('[DONE]');
          expect(events.join('')).toContain(`${round}.${n}`);
        } else {
          const body = (await response.json()) as { choices: Array<{ message: { content: string } }> };
          expect(body.choices[0]!.message.content).toBe(`Echo: innocent ${round}.${n}`);
        }
      }
    }
    expect(g.logs.join('')).toContain('re-dispatching a request');
  }, 120_000);
});
