import { describe, expect, it } from 'vitest';
import { gatewayPerTest } from '../support/start-gateway.js';

const start = gatewayPerTest();

describe('several workers (docs/architecture.md#conversations-and-the-pool)', () => {
  it('proactive restarts roll: with 2 workers no request fails or waits in the queue, and both workers restart', async () => {
    // Proactive at 8 turns, hard at 10: two turns of slack for the peer to come back (turns take
    // 100 ms here, seconds for a real agent).
    const g = await start({ flags: ['--workers', '2', '--turn-limit', '10'] });
    await g.waitForState('healthy', 'w1');
    await g.waitForState('healthy', 'w2');
    let maxQueue = 0;
    let neitherAccepting = 0;
    const unsubscribe = g.supervisor.subscribe(() => {
      maxQueue = Math.max(maxQueue, g.supervisor.stats().queueDepth);
      if (g.supervisor.snapshots().every((w) => !w.snapshot.hasTag('accepting'))) neitherAccepting += 1;
    });
    const client = g.client();
    // Paced by events, not by the clock: a request goes out only while an accepting worker has two
    // turns of slack (≤ 7 of 10), or once every worker is back. However slow the machine, the
    // restarting peer is never raced: a worker that reaches 8 turns alone waits for it (it stays
    // accepting), and the next request waits for the peer to be healthy again.
    const hasSlack = () => {
      const workers = g.supervisor.snapshots().map((w) => w.snapshot);
      const accepting = workers.filter((s) => s.hasTag('accepting'));
      return accepting.length === workers.length || accepting.some((s) => s.context.usage.turns <= 7);
    };
    for (let i = 0; i < 30; i++) {
      await g.waitFor(hasSlack, 'w1', 60_000);
      const answer = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: `[[wait:100]] rolling ${i}` }] });
      expect(answer.choices[0]!.message.content).toBe(`Echo: rolling ${i}`);
    }
    unsubscribe();
    expect(maxQueue).toBe(0);
    expect(neitherAccepting).toBe(0);
    const runs = g.supervisor.snapshots().map((w) => w.snapshot.context);
    for (const context of runs) {
      expect(context.restartCount).toBeGreaterThanOrEqual(1);
      expect(context.crashCount).toBe(0);
    }
    expect(g.logs.filter((line) => line.includes('[PROACTIVE]')).length).toBeGreaterThanOrEqual(2);
  });

  it('the router sends each request to the accepting worker with the fewest in flight', async () => {
    const g = await start({ flags: ['--workers', '2'] });
    await g.waitForState('healthy', 'w1');
    await g.waitForState('healthy', 'w2');
    // The slow request outlasts the fast ones however loaded the machine (it is let go at the end).
    const release = new AbortController();
    const slow = fetch(`${g.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: '[[wait:120000]] slow' }] }),
      signal: release.signal,
    }).catch((error: unknown) => error);
    await g.waitFor(() => g.supervisor.snapshots().some((w) => w.snapshot.context.busy));
    const busy = g.supervisor.snapshots().find((w) => w.snapshot.context.busy)!.id;
    const idle = busy === 'w1' ? 'w2' : 'w1';
    for (let i = 0; i < 3; i++) {
      const fast = await g.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'fast' }] });
      expect(fast.choices[0]!.message.content).toBe('Echo: fast');
      expect(g.supervisor.snapshots().find((w) => w.id === busy)!.inFlight).toBe(1);
    }
    expect(g.snapshotOf(idle).context.usage.turns).toBe(3);
    expect(g.snapshotOf(busy).context.usage.turns).toBe(0);
    release.abort();
    await slow;
  });
});
