import { describe, expect, it } from 'vitest';
import { crashBackoffMs } from '../../machines/policy/backoff.js';
import { defaultPolicy } from '../../machines/policy/policy.js';
import { createHarness, settle } from './harness.js';

describe('worker machine: starting', () => {
  it('starts in starting (waiting), spawns the worker and is healthy (accepting) after ready and a passed probe', async () => {
    const h = createHarness();
    expect(h.state()).toBe('starting');
    expect(h.hasTag('waiting')).toBe(true);
    expect(h.spawned).toEqual([{ workerId: 'w1', run: 1 }]);
    await h.bringUp();
    expect(h.state()).toBe('healthy');
    expect(h.hasTag('accepting')).toBe(true);
    expect(h.context().pid).toBe(100);
    expect(h.context().models).toEqual(['demo']);
  });

  it('a worker with no ready signal within the startup timeout is a crash, and its process is stopped', async () => {
    const h = createHarness();
    await h.advance(defaultPolicy.startupTimeoutMs - 1);
    expect(h.state()).toBe('starting');
    await h.advance(1);
    expect(h.state()).toBe('recovering');
    expect(h.context().consecutiveFailures).toBe(1);
    expect(h.context().restartReason).toBe('startup_timeout');
    expect(h.stopped).toHaveLength(1);
  });

  it('a failed verification probe is a crash: the worker is never called healthy', async () => {
    const h = createHarness();
    h.control.probe = 'fail';
    await h.bringUp();
    expect(h.state()).toBe('recovering');
    expect(h.context().crashCount).toBe(1);
    expect(h.context().restartReason).toBe('verification_failed');
  });

  it('a probe that does not answer within the verify timeout is a crash', async () => {
    const h = createHarness({ policy: { verifyTimeoutMs: 500 } });
    h.control.probe = 'hang';
    await h.bringUp();
    expect(h.state()).toBe('starting');
    await h.advance(500);
    expect(h.state()).toBe('recovering');
    expect(h.context().restartReason).toBe('verification_failed');
  });

  it('the limits a worker reports in ready replace the configured ones', async () => {
    const h = createHarness();
    await h.bringUp({ tokenLimit: 1000, turnLimit: 4 });
    expect(h.context().limits).toEqual({ tokenLimit: 1000, turnLimit: 4 });
  });
});

describe('worker machine: exits and backoff', () => {
  it('a crash goes through restarting (the tree is ended) to recovering, waits out the backoff, then starts again', async () => {
    const h = createHarness({ seed: 3 });
    await h.bringUp();
    await h.exit(1);
    expect(h.state()).toBe('recovering');
    expect(h.stopped).toHaveLength(1);
    const backoff = h.context().backoffMs;
    expect(backoff).toBeGreaterThanOrEqual(1000);
    expect(backoff).toBeLessThan(1100);
    expect(h.emittedOf('backoff.scheduled')).toEqual([{ type: 'backoff.scheduled', ms: backoff, reason: 'crash', failures: 1 }]);
    await h.advance(backoff - 1);
    expect(h.state()).toBe('recovering');
    await h.advance(1);
    expect(h.state()).toBe('starting');
    expect(h.spawned).toHaveLength(2);
    await h.bringUp();
    expect(h.state()).toBe('healthy');
    expect(h.context()).toMatchObject({ crashCount: 1, consecutiveFailures: 1, restartCount: 1 });
  });

  it('death by a signal lifeguard did not send is a crash', async () => {
    const h = createHarness();
    await h.bringUp();
    await h.exit(null, 'SIGKILL');
    expect(h.context().lastExit).toMatchObject({ class: 'crash', signal: 'SIGKILL' });
    expect(h.context().crashCount).toBe(1);
  });

  it('consecutive crashes back off exponentially (1 s, 2 s, 4 s, …) with 0–10 % jitter', async () => {
    const h = createHarness({ policy: { maxConsecutiveFailures: 0 } });
    await h.bringUp();
    const delays: number[] = [];
    for (let n = 1; n <= 8; n++) {
      await h.exit(1);
      delays.push(h.context().backoffMs);
      await h.advance(h.context().backoffMs);
      await h.bringUp();
    }
    const bases = [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000];
    delays.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(bases[i]!);
      expect(ms).toBeLessThanOrEqual(bases[i]! * 1.1);
    });
  });

  it('the same seed gives the same jitter (deterministic tests), another seed another one', async () => {
    const run = async (seed: number) => {
      const h = createHarness({ seed });
      await h.bringUp();
      await h.exit(1);
      return h.context().backoffMs;
    };
    expect(await run(11)).toBe(await run(11));
    expect(await run(11)).not.toBe(await run(12));
  });

  it('the 6th consecutive failure goes offline with the reason recorded', async () => {
    const h = createHarness();
    await h.bringUp();
    for (let n = 1; n <= 5; n++) await h.exitAndRecover(1);
    expect(h.state()).toBe('healthy');
    await h.exit(1);
    expect(h.state()).toBe('offline');
    expect(h.hasTag('unavailable')).toBe(true);
    expect(h.context().offlineReason).toBe('6 consecutive failures (last: crash)');
    expect(h.emittedOf('offline.entered')).toHaveLength(1);
  });

  it('max consecutive failures 0 never goes offline', async () => {
    const h = createHarness({ policy: { maxConsecutiveFailures: 0 } });
    await h.bringUp();
    for (let n = 1; n <= 12; n++) await h.exitAndRecover(1);
    expect(h.state()).toBe('healthy');
    expect(h.context().consecutiveFailures).toBe(12);
  });

  it('exits 1,0,1,0,1 still reach the failure limit: a clean exit neither counts nor resets', async () => {
    const h = createHarness({ policy: { maxConsecutiveFailures: 2 } });
    await h.bringUp();
    for (const code of [1, 0, 1, 0]) await h.exitAndRecover(code);
    expect(h.context().consecutiveFailures).toBe(2);
    await h.exit(1);
    expect(h.state()).toBe('offline');
  });

  it('a clean exit restarts at once and leaves the crash count alone', async () => {
    const h = createHarness();
    await h.bringUp();
    await h.exit(0);
    expect(h.state()).toBe('starting');
    expect(h.context()).toMatchObject({ crashCount: 0, consecutiveFailures: 0, restartCount: 1, restartReason: 'clean_exit' });
    expect(h.context().lastExit?.class).toBe('clean');
  });

  it('the 11th clean exit inside 60 s warns and backs off 1 s; the budget slides', async () => {
    const h = createHarness();
    await h.bringUp();
    for (let n = 1; n <= 10; n++) {
      await h.exit(0);
      expect(h.state()).toBe('starting');
      await h.advance(1000);
      await h.bringUp();
    }
    await h.exit(0);
    expect(h.state()).toBe('recovering');
    expect(h.emittedOf('health.warned')).toEqual([{ type: 'health.warned', reason: 'clean_restart_budget', count: 11 }]);
    expect(h.context().backoffMs).toBe(1000);
    expect(h.context().crashCount).toBe(0);
    await h.advance(1000);
    expect(h.state()).toBe('starting');
    await h.bringUp();
    // 60 s later the window has slid past the burst: a clean exit restarts at once again.
    await h.advance(60_000);
    await h.exit(0);
    expect(h.state()).toBe('starting');
  });

  it('a failure after a 5-minute stable run counts as the first', async () => {
    const h = createHarness();
    await h.bringUp();
    for (let n = 1; n <= 3; n++) await h.exitAndRecover(1);
    expect(h.context().consecutiveFailures).toBe(3);
    await h.advance(defaultPolicy.stableRunMs - 1);
    expect(h.context().consecutiveFailures).toBe(3);
    await h.advance(1);
    expect(h.context().consecutiveFailures).toBe(0);
    await h.exit(1);
    expect(h.context().consecutiveFailures).toBe(1);
    expect(h.context().backoffMs).toBeLessThan(1100);
  });

  it('a requested exit is never a crash', async () => {
    const h = createHarness();
    await h.bringUp();
    h.actor.send({ type: 'restart' });
    await h.exit(null, 'SIGTERM', true);
    expect(h.context().lastExit?.class).toBe('requested');
    expect(h.context().crashCount).toBe(0);
  });
});

describe('worker machine: context thresholds', () => {
  it('at 80 % of the turn limit it drains the in-flight request, then restarts (proactive)', async () => {
    const h = createHarness();
    await h.bringUp();
    h.actor.send({ type: 'requests.began' });
    h.actor.send({ type: 'context.reported', tokens: 100, turns: 8 });
    expect(h.state()).toBe('draining');
    expect(h.hasTag('waiting')).toBe(true);
    expect(h.context().restartReason).toBe('proactive');
    h.actor.send({ type: 'requests.ended' });
    await settle();
    expect(h.stopped.at(-1)?.reason).toBe('proactive');
    expect(h.state()).toBe('starting');
    expect(h.context().usage).toEqual({ tokens: 0, turns: 0 });
    expect(h.emittedOf('run.began').at(-1)).toMatchObject({ reason: 'proactive', restartCount: 1 });
  });

  it('at 80 % of the token limit it restarts too; 79 % does not', async () => {
    const h = createHarness({ policy: { tokenLimit: 1000 } });
    await h.bringUp();
    h.actor.send({ type: 'context.reported', tokens: 799, turns: 1 });
    expect(h.state()).toBe('healthy');
    h.actor.send({ type: 'context.reported', tokens: 800, turns: 1 });
    expect(h.context().restartReason).toBe('proactive');
    await settle();
    expect(h.state()).toBe('starting');
  });

  it('at 100 % it stops dispatching and restarts when the in-flight request ends (hard restart)', async () => {
    const h = createHarness();
    await h.bringUp();
    h.actor.send({ type: 'requests.began' });
    h.actor.send({ type: 'context.reported', tokens: 150_000, turns: 2 });
    expect(h.state()).toBe('draining');
    expect(h.hasTag('accepting')).toBe(false);
    expect(h.context().restartReason).toBe('hard_limit');
  });

  it('with several workers a proactive drain waits for a peer to accept; the hard limit does not wait', async () => {
    const h = createHarness({ workerCount: 2 });
    await h.bringUp();
    h.actor.send({ type: 'context.reported', tokens: 0, turns: 8 });
    expect(h.state()).toBe('healthy');
    h.actor.send({ type: 'peers.updated', accepting: 1 });
    expect(h.context().restartReason).toBe('proactive');

    const solo = createHarness({ workerCount: 2 });
    await solo.bringUp();
    solo.actor.send({ type: 'context.reported', tokens: 0, turns: 10 });
    expect(solo.context().restartReason).toBe('hard_limit');
  });

  it('a drain that outlives the drain timeout stops the worker anyway', async () => {
    const h = createHarness({ policy: { drainTimeoutMs: 30_000 } });
    await h.bringUp();
    h.actor.send({ type: 'requests.began' });
    h.actor.send({ type: 'drain' });
    expect(h.state()).toBe('draining');
    for (let t = 0; t < 29; t++) {
      h.actor.send({ type: 'worker.output' });
      await h.advance(1000);
    }
    expect(h.state()).toBe('draining');
    await h.advance(1000);
    expect(h.state()).toBe('starting');
    expect(h.context().reason).toBe('drain_timeout');
    expect(h.stopped.at(-1)?.reason).toBe('admin_drain');
  });
});

describe('worker machine: wedge and memory', () => {
  it('a request with no worker output for the wedge timeout restarts the worker, not as a crash', async () => {
    const h = createHarness({ policy: { wedgeTimeoutMs: 120_000 } });
    await h.bringUp();
    h.actor.send({ type: 'requests.began' });
    await h.advance(100_000);
    h.actor.send({ type: 'worker.output' });
    await h.advance(100_000);
    expect(h.state()).toBe('healthy');
    await h.advance(20_000);
    expect(h.stopped.at(-1)?.reason).toBe('wedge');
    expect(h.state()).toBe('starting');
    expect(h.context().crashCount).toBe(0);
  });

  it('a request the gateway reports stalled (no answer, heartbeats notwithstanding) restarts the worker as wedged', async () => {
    const h = createHarness();
    await h.bringUp();
    h.actor.send({ type: 'requests.began' });
    h.actor.send({ type: 'worker.output' });
    h.actor.send({ type: 'request.stalled', requestId: 'r1' });
    await settle();
    expect(h.stopped.at(-1)?.reason).toBe('wedge');
    expect(h.state()).toBe('starting');
    expect(h.context().crashCount).toBe(0);
  });

  it('an idle worker is never wedged', async () => {
    const h = createHarness({ policy: { wedgeTimeoutMs: 1000 } });
    await h.bringUp();
    await h.advance(10_000);
    expect(h.state()).toBe('healthy');
  });

  it('memory over the cap drains and restarts; the 4th within 10 minutes warns and counts as a failure', async () => {
    const h = createHarness({ policy: { maxRssMb: 100 } });
    await h.bringUp();
    const over = () => h.actor.send({ type: 'memory.sampled', rssBytes: 101 * 1024 * 1024, at: h.clock.now() });
    h.actor.send({ type: 'memory.sampled', rssBytes: 100 * 1024 * 1024, at: h.clock.now() });
    expect(h.state()).toBe('healthy');
    for (let n = 1; n <= 3; n++) {
      over();
      await settle();
      expect(h.stopped.at(-1)?.reason).toBe('memory');
      expect(h.state()).toBe('starting');
      await h.bringUp();
      await h.advance(1000);
    }
    expect(h.context().crashCount).toBe(0);
    over();
    await settle();
    expect(h.emittedOf('health.warned')).toEqual([{ type: 'health.warned', reason: 'memory_restart_budget', count: 4 }]);
    expect(h.context().crashCount).toBe(1);
    expect(h.state()).toBe('recovering');
  });
});

describe('worker machine: operator commands', () => {
  it('recover leaves offline with the counters reset', async () => {
    const h = createHarness({ policy: { maxConsecutiveFailures: 1 } });
    await h.bringUp();
    await h.exitAndRecover(1);
    await h.exit(1);
    expect(h.state()).toBe('offline');
    h.actor.send({ type: 'restart' });
    expect(h.state()).toBe('offline');
    h.actor.send({ type: 'recover' });
    expect(h.state()).toBe('starting');
    expect(h.context()).toMatchObject({ consecutiveFailures: 0, offlineReason: null });
    await h.bringUp();
    expect(h.state()).toBe('healthy');
  });

  it('restart drains the in-flight request first (graceful)', async () => {
    const h = createHarness();
    await h.bringUp();
    h.actor.send({ type: 'requests.began' });
    h.actor.send({ type: 'restart' });
    expect(h.state()).toBe('draining');
    h.actor.send({ type: 'requests.ended' });
    await settle();
    expect(h.state()).toBe('starting');
    expect(h.context().restartCount).toBe(1);
  });

  it('the stopper is given the stop grace (SIGTERM → grace → SIGKILL happens in the provided actor)', async () => {
    const h = createHarness({ policy: { stopGraceMs: 1234 } });
    await h.bringUp();
    h.actor.send({ type: 'restart' });
    await settle();
    expect(h.stopped).toEqual([{ workerId: 'w1', run: 1, graceMs: 1234, reason: 'admin_restart' }]);
  });

  it('a process that cannot be stopped takes the worker offline rather than starting a second one', async () => {
    const h = createHarness();
    await h.bringUp();
    h.control.stopperFails = true;
    h.actor.send({ type: 'restart' });
    await settle();
    expect(h.state()).toBe('offline');
    expect(h.context().offlineReason).toBe('the worker process could not be stopped');
  });

  it.each([
    ['starting', async () => undefined],
    ['healthy', async (h: ReturnType<typeof createHarness>) => h.bringUp()],
    ['draining', async (h: ReturnType<typeof createHarness>) => {
      await h.bringUp();
      h.actor.send({ type: 'requests.began' });
      h.actor.send({ type: 'drain' });
    }],
    ['recovering', async (h: ReturnType<typeof createHarness>) => {
      await h.bringUp();
      await h.exit(1);
    }],
    ['offline', async (h: ReturnType<typeof createHarness>) => {
      h.control.probe = 'fail';
      for (let n = 0; n < 6; n++) {
        await h.bringUp();
        await h.advance(h.context().backoffMs);
      }
    }],
  ])('stop from %s ends in the final stopped state', async (state, reach) => {
    const h = createHarness();
    await reach(h);
    expect(h.state()).toBe(state);
    h.actor.send({ type: 'stop' });
    expect(h.state()).toBe('stopped');
    expect(h.actor.getSnapshot().status).toBe('done');
    expect(h.hasTag('unavailable')).toBe(true);
  });

  it('context is plain data that survives JSON', async () => {
    const h = createHarness();
    await h.bringUp();
    await h.exit(1);
    const context = h.context();
    expect(JSON.parse(JSON.stringify(context))).toEqual(context);
  });

  it('the backoff the machine schedules is the pure policy function of the failure count', () => {
    expect(crashBackoffMs(3, defaultPolicy, 0)).toBe(4000);
  });
});

describe('worker machine: limits learned late', () => {
  it('a context report may carry the limits (Claude Code reveals its context window with the first answer)', async () => {
    const h = createHarness();
    await h.bringUp();
    h.actor.send({ type: 'context.reported', tokens: 900, turns: 1, limits: { tokenLimit: 1000 } });
    expect(h.context().limits).toEqual({ tokenLimit: 1000, turnLimit: 10 });
    expect(h.context().restartReason).toBe('proactive');
  });
});

describe('an isolated stateful worker (docs/architecture.md#conversations-and-the-pool)', () => {
  it('is not restarted at the proactive threshold (a restart would replay its conversation whole), only at the hard limit', async () => {
    const h = createHarness({ isolation: 'isolated' });
    h.actor.send({ type: 'worker.spawned', pid: 1, at: 0 });
    h.actor.send({ type: 'worker.ready', models: ['demo'], stateful: true, limits: { turnLimit: 10 } });
    await settle();
    h.actor.send({ type: 'context.reported', tokens: 0, turns: 8 });
    expect(h.state()).toBe('healthy');
    h.actor.send({ type: 'context.reported', tokens: 0, turns: 10 });
    expect(h.state()).toBe('restarting');
    expect(h.context().restartReason).toBe('hard_limit');
  });

  it('shared, or stateless, it drains at the proactive threshold as before', async () => {
    for (const [isolation, stateful] of [['shared', true], ['isolated', false]] as const) {
      const h = createHarness({ isolation });
      h.actor.send({ type: 'worker.spawned', pid: 1, at: 0 });
      h.actor.send({ type: 'worker.ready', models: ['demo'], stateful, limits: { turnLimit: 10 } });
      await settle();
      h.actor.send({ type: 'context.reported', tokens: 0, turns: 8 });
      expect(h.context().restartReason).toBe('proactive');
    }
  });
});
