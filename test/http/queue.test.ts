import { describe, expect, it } from 'vitest';
import { gatewayPerTest } from '../support/start-gateway.js';

const start = gatewayPerTest();

const message = (content: string) => ({ messages: [{ role: 'user', content }] });
// A minute of deltas half a second apart: busy until the test abandons it (the worker stops at the next
// delta once cancelled), however slow the machine.
const BUSY = `[[slow:500]] ${'busy '.repeat(120)}`;
// A request the test abandons when it chooses; settles either way.
const post = (g: { url: string }, body: unknown, signal: AbortSignal) =>
  fetch(`${g.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal }).then(
    (response) => response.text(),
  ).catch(() => undefined);

describe('gating by tags: the queue', () => {
  it('requests sent during a proactive restart are queued and all succeed after it', async () => {
    const g = await start({ flags: ['--turn-limit', '5'] });
    await g.waitForState('healthy');
    const client = g.client();
    for (let turn = 1; turn <= 4; turn++) {
      await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: `turn ${turn}` }] });
    }
    // Turn 4 of 5 is 80 %: the worker is draining or restarting now, so nothing is accepting.
    expect(g.snapshotOf().hasTag('accepting')).toBe(false);
    expect(g.snapshotOf().context.restartReason).toBe('proactive');
    const answers = await Promise.all(
      Array.from({ length: 9 }, (_, i) => client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: `queued ${i}` }] })),
    );
    expect(answers.map((a) => a.choices[0]!.message.content)).toEqual(Array.from({ length: 9 }, (_, i) => `Echo: queued ${i}`));
    // One request per slot (max_concurrency 1), four turns per run: runs 2 and 3 also restart
    // proactively, run 4 answers the last one.
    expect(g.snapshotOf().context).toMatchObject({ run: 4, restartCount: 3, crashCount: 0 });
    expect(g.logs.filter((line) => line.includes('[PROACTIVE]'))).toHaveLength(3);
    expect(g.logs.filter((line) => line.includes('[DONE]'))).toHaveLength(13);
  });

  it('a full queue answers 503 queue_full with Retry-After, at once', async () => {
    const g = await start({ flags: ['--queue-size', '2'] });
    await g.waitForState('healthy');
    // The busy request holds the only slot until the test lets it go (however slow the machine).
    const letGo = new AbortController();
    const busy = post(g, message(BUSY), letGo.signal);
    await g.waitFor((s) => s.context.busy);
    const queued = [g.post('/v1/chat/completions', message('q1')), g.post('/v1/chat/completions', message('q2'))];
    await g.waitFor(() => g.supervisor.stats().queueDepth === 2);
    const overflow = await g.post('/v1/chat/completions', message('one too many'));
    expect(overflow.status).toBe(503);
    expect(overflow.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await overflow.json()).toMatchObject({ error: { code: 'queue_full', type: 'server_error' } });
    letGo.abort();
    await busy;
    for (const response of await Promise.all(queued)) expect(response.status).toBe(200);
  });

  it('a request that waits longer than queue_wait_ms gets 503 queue_timeout with Retry-After', async () => {
    const g = await start({ flags: ['--queue-wait-ms', '300'] });
    await g.waitForState('healthy');
    const letGo = new AbortController();
    const busy = post(g, message(BUSY), letGo.signal);
    await g.waitFor((s) => s.context.busy);
    const began = Date.now();
    const waited = await g.post('/v1/chat/completions', message('waiting'));
    expect(waited.status).toBe(503);
    expect(Date.now() - began).toBeGreaterThanOrEqual(290);
    expect(waited.headers.get('retry-after')).toBe('1');
    expect(await waited.json()).toMatchObject({ error: { code: 'queue_timeout' } });
    letGo.abort();
    await busy;
    const after = await g.post('/v1/chat/completions', message('after'));
    expect(after.status).toBe(200);
  });
});
