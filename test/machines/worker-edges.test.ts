import { describe, expect, it } from 'vitest';
import { createHarness, settle } from './harness.js';

type Harness = ReturnType<typeof createHarness>;

describe('worker machine: requested exits (lifeguard caused them)', () => {
  it.each([
    ['starting', async (_h: Harness) => undefined],
    ['healthy', async (h: Harness) => h.bringUp()],
  ])('in %s: recorded and announced, never counted, no restart of its own', async (state, reach) => {
    const h = createHarness();
    await reach(h);
    await h.exit(null, 'SIGTERM', true);
    expect(h.state()).toBe(state);
    expect(h.stopped).toEqual([]);
    expect(h.context()).toMatchObject({ crashCount: 0, consecutiveFailures: 0, restartCount: 0, lastExit: { class: 'requested' } });
    expect(h.emittedOf('exit.recorded')).toMatchObject([{ exit: { class: 'requested', signal: 'SIGTERM' }, crashCount: 0, consecutiveFailures: 0 }]);
  });

  it('in draining: the requests it carried are gone, so the drain is over', async () => {
    const h = createHarness();
    await h.bringUp();
    h.actor.send({ type: 'requests.began' });
    h.actor.send({ type: 'drain' });
    await h.exit(null, 'SIGTERM', true);
    expect(h.state()).toBe('starting');
    expect(h.context()).toMatchObject({ crashCount: 0, reason: 'drained', restartReason: 'admin_drain' });
    expect(h.stopped.map((s) => s.reason)).toEqual(['admin_drain']);
  });
});

describe('worker machine: the process actor', () => {
  it('is stopped before the next run is spawned', async () => {
    const h = createHarness();
    await h.bringUp();
    expect(h.liveRuns()).toEqual([1]);
    await h.exit(0);
    expect(h.processStops).toEqual([1]);
    expect(h.liveRuns()).toEqual([2]);
  });

  it('is stopped on entering offline', async () => {
    const h = createHarness({ policy: { maxConsecutiveFailures: 1 } });
    await h.bringUp();
    await h.exitAndRecover(1);
    expect(h.liveRuns()).toEqual([2]);
    await h.exit(1);
    expect(h.state()).toBe('offline');
    expect(h.liveRuns()).toEqual([]);
  });

  it('is stopped by the time anyone sees stopped', () => {
    const h = createHarness();
    const seen: number[][] = [];
    h.actor.subscribe((snapshot) => {
      if (snapshot.value === 'stopped') seen.push(h.liveRuns());
    });
    h.actor.send({ type: 'stop' });
    expect(seen).toEqual([[]]);
    expect(h.context().reason).toBe('stop');
  });

  it('stays running while the machine waits out a backoff (the stopper already ended the process)', async () => {
    const h = createHarness();
    await h.bringUp();
    await h.exit(1);
    expect(h.state()).toBe('recovering');
    expect(h.hasTag('waiting')).toBe(true);
    expect(h.liveRuns()).toEqual([1]);
  });
});

describe('worker machine: requests in flight', () => {
  it('busy from the first request in flight until none is left; a repeated edge changes nothing', async () => {
    const h = createHarness();
    await h.bringUp();
    h.actor.send({ type: 'requests.began' });
    expect(h.context().busy).toBe(true);
    expect(h.actor.getSnapshot().matches({ healthy: 'busy' })).toBe(true);
    h.actor.send({ type: 'requests.began' });
    expect(h.actor.getSnapshot().matches({ healthy: 'busy' })).toBe(true);
    h.actor.send({ type: 'requests.ended' });
    expect(h.context().busy).toBe(false);
    expect(h.actor.getSnapshot().matches({ healthy: 'idle' })).toBe(true);
    h.actor.send({ type: 'requests.ended' });
    expect(h.actor.getSnapshot().matches({ healthy: 'idle' })).toBe(true);
    h.actor.send({ type: 'requests.began' });
    expect(h.context().busy).toBe(true);
  });

  it('a drain waits until no request is left', async () => {
    const h = createHarness();
    await h.bringUp();
    h.actor.send({ type: 'requests.began' });
    h.actor.send({ type: 'restart' });
    await settle();
    expect(h.state()).toBe('draining');
    h.actor.send({ type: 'requests.ended' });
    await settle();
    expect(h.state()).toBe('starting');
    expect(h.context()).toMatchObject({ reason: 'drained', restartReason: 'admin_restart' });
  });

  it('a new run starts with nothing in flight even when the drain timed out with requests left', async () => {
    const h = createHarness({ policy: { drainTimeoutMs: 1000, wedgeTimeoutMs: 5000 } });
    await h.bringUp();
    h.actor.send({ type: 'requests.began' });
    h.actor.send({ type: 'drain' });
    await h.advance(1000);
    expect(h.state()).toBe('starting');
    expect(h.context().busy).toBe(false);
  });
});

describe('worker machine: while draining', () => {
  const draining = async (policy = {}) => {
    const h = createHarness({ policy });
    await h.bringUp();
    h.actor.send({ type: 'requests.began' });
    h.actor.send({ type: 'drain' });
    expect(h.state()).toBe('draining');
    return h;
  };

  it('a stalled request restarts at once as wedged', async () => {
    const h = await draining();
    h.actor.send({ type: 'request.stalled', requestId: 'r1' });
    await settle();
    expect(h.stopped.map((s) => s.reason)).toEqual(['wedge']);
    expect(h.context().crashCount).toBe(0);
  });

  it('the wedge timer runs when it is shorter than the drain timer, and output resets it', async () => {
    const h = await draining({ wedgeTimeoutMs: 10_000, drainTimeoutMs: 30_000 });
    await h.advance(9_000);
    h.actor.send({ type: 'worker.output' });
    await h.advance(9_000);
    expect(h.state()).toBe('draining');
    await h.advance(1_000);
    expect(h.stopped.map((s) => s.reason)).toEqual(['wedge']);
  });

  it('context reports and memory samples are still recorded', async () => {
    const h = await draining();
    h.actor.send({ type: 'context.reported', tokens: 5, turns: 3 });
    h.actor.send({ type: 'memory.sampled', rssBytes: 1234, at: 50 });
    expect(h.context()).toMatchObject({ usage: { tokens: 5, turns: 3 }, rssBytes: 1234, now: 50 });
  });
});

describe('worker machine: what it records', () => {
  it('a reported maxConcurrency is kept; without one it is 1', async () => {
    const h = createHarness();
    h.actor.send({ type: 'worker.ready', models: ['a'], maxConcurrency: 4 });
    expect(h.context().maxConcurrency).toBe(4);
    const plain = createHarness();
    plain.actor.send({ type: 'worker.ready', models: ['a'], maxConcurrency: 4 });
    await plain.exit(0);
    plain.actor.send({ type: 'worker.ready', models: ['a'] });
    expect(plain.context().maxConcurrency).toBe(1);
  });

  it('ready says whether the worker holds conversations (stateful); without a word it does not', async () => {
    const h = createHarness();
    h.actor.send({ type: 'worker.ready', models: [], stateful: true });
    expect(h.context().stateful).toBe(true);
    await h.exit(0);
    h.actor.send({ type: 'worker.ready', models: [] });
    expect(h.context().stateful).toBe(false);
  });

  it('recycle drains the requests in flight, then restarts the process clean with reason recycle', async () => {
    const h = createHarness();
    await h.bringUp();
    h.actor.send({ type: 'requests.began' });
    h.actor.send({ type: 'recycle' });
    expect(h.state()).toBe('draining');
    expect(h.context().restartReason).toBe('recycle');
    h.actor.send({ type: 'requests.ended' });
    await settle();
    expect(h.stopped.map((s) => s.reason)).toEqual(['recycle']);
    expect(h.state()).toBe('starting');
    expect(h.context()).toMatchObject({ crashCount: 0, consecutiveFailures: 0, restartCount: 1 });
  });

  it('limits reported in ready replace only what they name', () => {
    const h = createHarness({ policy: { tokenLimit: 500, turnLimit: 7 } });
    h.actor.send({ type: 'worker.ready', models: [], limits: { turnLimit: 20 } });
    expect(h.context().limits).toEqual({ tokenLimit: 500, turnLimit: 20 });
  });

  it('a context report without limits keeps the known ones', async () => {
    const h = createHarness();
    await h.bringUp({ tokenLimit: 1000, turnLimit: 40 });
    h.actor.send({ type: 'context.reported', tokens: 10, turns: 1, limits: { turnLimit: 50 } });
    expect(h.context().limits).toEqual({ tokenLimit: 1000, turnLimit: 50 });
  });

  it('the clock reading only moves forward, whichever event carries it', async () => {
    const h = createHarness();
    h.actor.send({ type: 'worker.spawned', pid: 5, at: 9_000 });
    expect(h.context()).toMatchObject({ pid: 5, now: 9_000 });
    h.actor.send({ type: 'worker.ready', models: [] });
    await settle();
    h.actor.send({ type: 'memory.sampled', rssBytes: 1, at: 4_000 });
    expect(h.context().now).toBe(9_000);
    h.actor.send({ type: 'memory.sampled', rssBytes: 1, at: 12_000 });
    expect(h.context().now).toBe(12_000);
    h.actor.send({ type: 'worker.exited', code: 0, signal: null, class: 'clean', runDurationMs: 1, at: 3_000, error: null });
    expect(h.context().now).toBe(12_000);
    await settle();
    h.actor.send({ type: 'worker.spawned', pid: 6, at: 1_000 });
    expect(h.context()).toMatchObject({ pid: 6, now: 12_000 });
  });

  it('memory exactly at the cap is fine; one byte over restarts', async () => {
    const h = createHarness({ policy: { maxRssMb: 1 } });
    await h.bringUp();
    h.actor.send({ type: 'memory.sampled', rssBytes: 1024 * 1024, at: 0 });
    expect(h.state()).toBe('healthy');
    h.actor.send({ type: 'memory.sampled', rssBytes: 1024 * 1024 + 1, at: 0 });
    expect(h.context().restartReason).toBe('memory');
  });

  it('each failure draws a new jitter: the seed advances', async () => {
    const h = createHarness({ seed: 5, policy: { backoffBaseMs: 1000, backoffMaxMs: 1000, maxConsecutiveFailures: 0 } });
    await h.bringUp();
    const seeds = [h.context().seed];
    const delays: number[] = [];
    for (let n = 0; n < 3; n++) {
      await h.exit(1);
      seeds.push(h.context().seed);
      delays.push(h.context().backoffMs);
      await h.advance(h.context().backoffMs);
      await h.bringUp();
    }
    expect(new Set(seeds).size).toBe(4);
    expect(new Set(delays).size).toBe(3);
  });

  it('recover clears the clean and memory windows, so the budgets start afresh', async () => {
    const h = createHarness({ policy: { maxConsecutiveFailures: 1, maxRssMb: 1 } });
    await h.bringUp();
    await h.exit(0);
    await h.bringUp();
    h.actor.send({ type: 'memory.sampled', rssBytes: 2 * 1024 * 1024, at: h.clock.now() });
    await h.bringUp();
    expect(h.context().cleanExits).toHaveLength(1);
    expect(h.context().memoryRestarts).toHaveLength(1);
    await h.exitAndRecover(1);
    await h.exit(1);
    expect(h.state()).toBe('offline');
    h.actor.send({ type: 'recover' });
    expect(h.context()).toMatchObject({ cleanExits: [], memoryRestarts: [], backoffMs: 0, reason: 'recover', restartReason: 'recover' });
    expect(h.emittedOf('run.began').at(-1)).toMatchObject({ reason: 'recover' });
  });

  it('a single worker drains proactively at once; one of two waits for its peer', async () => {
    const solo = createHarness({ workerCount: 1 });
    await solo.bringUp();
    solo.actor.send({ type: 'context.reported', tokens: 0, turns: 8 });
    expect(solo.context().restartReason).toBe('proactive');
    const pair = createHarness({ workerCount: 2 });
    await pair.bringUp();
    pair.actor.send({ type: 'context.reported', tokens: 0, turns: 8 });
    expect(pair.state()).toBe('healthy');
  });

  it('with failures never going offline (max 0), a worker keeps recovering', async () => {
    const h = createHarness({ policy: { maxConsecutiveFailures: 0 } });
    await h.bringUp();
    await h.exit(1);
    expect(h.state()).toBe('recovering');
  });
});
