import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../machines/policy/policy.js';
import { workerMachine } from '../../machines/worker-machine.js';
import { createHarness } from './harness.js';

// docs/architecture.md's defaults, written out as numbers: a test that derived them from `defaultPolicy` could
// not notice a changed default.
describe('worker machine: the default policy', () => {
  it('is docs/architecture.md’s table', () => {
    expect(defaultPolicy).toEqual({
      startupTimeoutMs: 30_000,
      verifyTimeoutMs: 10_000,
      backoffBaseMs: 1_000,
      backoffMaxMs: 60_000,
      backoffJitterPct: 10,
      maxConsecutiveFailures: 5,
      stableRunMs: 300_000,
      cleanRestartBudget: 10,
      cleanRestartWindowMs: 60_000,
      cleanBudgetBackoffMs: 1_000,
      proactiveRestartPct: 80,
      tokenLimit: 150_000,
      turnLimit: 10,
      drainTimeoutMs: 30_000,
      stopGraceMs: 5_000,
      wedgeTimeoutMs: 120_000,
      maxRssMb: 0,
      memoryRestartBudget: 3,
      memoryRestartWindowMs: 600_000,
    });
  });

  it('a new worker starts its first run with empty counters, the default limits and reason start', () => {
    const h = createHarness();
    expect(h.context()).toEqual({
      workerId: 'w1',
      policy: defaultPolicy,
      seed: 7,
      workerCount: 1,
      peersAccepting: 0,
      run: 1,
      pid: null,
      models: [],
      modelEntries: [],
      maxConcurrency: 1,
      stateful: false,
      isolation: 'shared',
      limits: { tokenLimit: 150_000, turnLimit: 10 },
      usage: { tokens: 0, turns: 0 },
      busy: false,
      rssBytes: null,
      now: 0,
      consecutiveFailures: 0,
      crashCount: 0,
      restartCount: 0,
      cleanExits: [],
      memoryRestarts: [],
      lastExit: null,
      reason: 'start',
      restartReason: null,
      backoffMs: 0,
      offlineReason: null,
    });
  });

  it('without a seed or worker count the jitter seed is 1 and the worker runs alone', () => {
    const actor = createActor(workerMachine, { input: { workerId: 'solo' } }).start();
    expect(actor.getSnapshot().context).toMatchObject({ seed: 1, workerCount: 1 });
    actor.stop();
  });

  it('configured limits are the limits until the worker reports its own', () => {
    const h = createHarness({ policy: { tokenLimit: 1000, turnLimit: 4 } });
    expect(h.context().limits).toEqual({ tokenLimit: 1000, turnLimit: 4 });
  });

  it('startup: 30 s to report ready', async () => {
    const h = createHarness();
    await h.advance(29_999);
    expect(h.state()).toBe('starting');
    await h.advance(1);
    expect(h.context().restartReason).toBe('startup_timeout');
  });

  it('verification: 10 s for the probe, which is told so', async () => {
    const h = createHarness();
    h.control.probe = 'hang';
    await h.bringUp();
    expect(h.probes).toEqual([{ workerId: 'w1', run: 1, timeoutMs: 10_000 }]);
    await h.advance(9_999);
    expect(h.state()).toBe('starting');
    await h.advance(1);
    expect(h.context().restartReason).toBe('verification_failed');
  });

  it('stable run: 5 minutes forgive the failures', async () => {
    const h = createHarness();
    await h.bringUp();
    await h.exitAndRecover(1);
    await h.advance(299_999);
    expect(h.context().consecutiveFailures).toBe(1);
    await h.advance(1);
    expect(h.context().consecutiveFailures).toBe(0);
  });

  it('drain: 30 s for the requests in flight', async () => {
    const h = createHarness();
    await h.bringUp();
    h.actor.send({ type: 'requests.began' });
    h.actor.send({ type: 'drain' });
    await h.advance(29_999);
    expect(h.state()).toBe('draining');
    await h.advance(1);
    expect(h.context().reason).toBe('drain_timeout');
  });

  it('wedge: 2 minutes without output while busy', async () => {
    const h = createHarness();
    await h.bringUp();
    h.actor.send({ type: 'requests.began' });
    await h.advance(119_999);
    expect(h.state()).toBe('healthy');
    await h.advance(1);
    expect(h.stopped.at(-1)?.reason).toBe('wedge');
  });

  it('stop grace: the stopper gets 5 s between SIGTERM and SIGKILL', async () => {
    const h = createHarness();
    await h.bringUp();
    await h.exit(1);
    expect(h.stopped).toEqual([{ workerId: 'w1', run: 1, graceMs: 5_000, reason: 'crash' }]);
  });

  it('backoff: 1 s doubling up to a cap of 60 s, jitter under 10 %', async () => {
    const h = createHarness({ policy: { maxConsecutiveFailures: 0 } });
    await h.bringUp();
    const delays: number[] = [];
    for (let n = 1; n <= 9; n++) {
      await h.exit(1);
      delays.push(h.context().backoffMs);
      await h.advance(h.context().backoffMs);
      await h.bringUp();
    }
    const bases = [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000];
    delays.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(bases[i]!);
      expect(ms).toBeLessThan(bases[i]! * 1.1);
    });
  });

  it('clean restarts: 10 in 60 s are fine, the 11th backs off 1 s; 60 s later the window is clear', async () => {
    const h = createHarness();
    await h.bringUp();
    for (let n = 1; n <= 10; n++) {
      await h.exit(0);
      expect(h.state()).toBe('starting');
      await h.bringUp();
    }
    await h.exit(0);
    expect(h.state()).toBe('recovering');
    expect(h.context().backoffMs).toBe(1_000);
    await h.advance(999);
    expect(h.state()).toBe('recovering');
    await h.advance(1);
    await h.bringUp();
    await h.advance(59_000);
    await h.exit(0);
    expect(h.state()).toBe('starting');
    expect(h.context().cleanExits).toEqual([60_000]);
  });

  it('memory: no cap by default; with one, 3 restarts in 10 minutes are fine and the window slides', async () => {
    const uncapped = createHarness();
    await uncapped.bringUp();
    uncapped.actor.send({ type: 'memory.sampled', rssBytes: 64 * 1024 ** 3, at: 0 });
    expect(uncapped.state()).toBe('healthy');

    const h = createHarness({ policy: { maxRssMb: 100 } });
    const over = () => h.actor.send({ type: 'memory.sampled', rssBytes: 101 * 1024 * 1024, at: h.clock.now() });
    await h.bringUp();
    for (let n = 1; n <= 3; n++) {
      over();
      await h.bringUp();
    }
    expect(h.context().crashCount).toBe(0);
    await h.advance(599_999);
    over();
    expect(h.context().crashCount).toBe(1);
    await h.advance(h.context().backoffMs);
    await h.bringUp();
    await h.advance(600_000);
    over();
    expect(h.context().memoryRestarts).toEqual([h.clock.now()]);
    expect(h.context().crashCount).toBe(1);
  });

  it('failures: the 5th is tolerated, the 6th goes offline', async () => {
    const h = createHarness();
    await h.bringUp();
    for (let n = 1; n <= 5; n++) await h.exitAndRecover(1);
    expect(h.state()).toBe('healthy');
    await h.exit(1);
    expect(h.state()).toBe('offline');
  });

  it('proactive restart at 80 %: 119 999 tokens of 150 000 are fine, 120 000 restart', async () => {
    const h = createHarness();
    await h.bringUp();
    h.actor.send({ type: 'context.reported', tokens: 119_999, turns: 0 });
    expect(h.state()).toBe('healthy');
    h.actor.send({ type: 'context.reported', tokens: 120_000, turns: 0 });
    expect(h.context().restartReason).toBe('proactive');
  });
});
