import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { isAlive, listProcesses, workerTree } from '../../src/process/process-table.js';
import { commandDriver, fixture, referenceDriver } from '../support/drivers.js';
import { startSupervisor } from '../support/start-supervisor.js';
import { Cancellation } from '../../src/util/cancellation.js';

type Running = ReturnType<typeof startSupervisor>;
const running: Running[] = [];
const start = (...args: Parameters<typeof startSupervisor>) => {
  const started = startSupervisor(...args);
  running.push(started);
  return started;
};
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

describe('real workers under the statechart: exits', () => {
  it('a crash (exit 1) goes recovering → backoff → starting → healthy again, with the crash counted', async () => {
    const s = start({ driver: referenceDriver() });
    await s.waitForState('w1', 'healthy');
    const firstPid = s.supervisor.pid('w1');
    await expect(s.ask('[[crash:1]]')).rejects.toMatchObject({ kind: 'worker_crashed', answerStarted: false });
    const after = await s.waitFor('w1', (snap) => snap.matches('healthy') && snap.context.run === 2);
    expect(s.transitions()).toEqual(['starting', 'healthy', 'restarting', 'recovering', 'starting', 'healthy']);
    expect(after.context).toMatchObject({ crashCount: 1, restartCount: 1 });
    expect(after.context.lastExit).toMatchObject({ code: 1, signal: null, class: 'crash' });
    expect(s.supervisor.pid('w1')).not.toBe(firstPid);
    expect(isAlive(firstPid!)).toBe(false);
    expect((await s.ask('still there?')).text).toBe('Echo: still there?');
  });

  it('an exit-0 loop restarts at once until the clean budget warns, and never touches the crash count', async () => {
    const s = start({
      driver: commandDriver(process.execPath, [fixture('exit-after-ready.mjs')], { EXIT_CODE: '0', EXIT_AFTER_MS: '30' }),
      policy: { cleanRestartBudget: 3, cleanRestartWindowMs: 60_000, cleanBudgetBackoffMs: 50 },
    });
    await s.waitFor('w1', () => s.events.some((e) => e.type === 'lifecycle' && e.event.type === 'health.warned'), 60_000);
    await s.waitForState('w1', 'recovering');
    const snapshot = s.snapshotOf('w1');
    expect(snapshot.context.crashCount).toBe(0);
    expect(snapshot.context.consecutiveFailures).toBe(0);
    expect(snapshot.context.lastExit?.class).toBe('clean');
    const warned = s.events.find((e) => e.type === 'lifecycle' && e.event.type === 'health.warned');
    expect(warned).toMatchObject({ event: { reason: 'clean_restart_budget', count: 4 } });
    // The first three clean exits restarted without a recovering pause; the fourth backed off.
    const states = s.transitions();
    const firstRecovering = states.indexOf('recovering');
    expect(states.slice(0, firstRecovering).filter((st) => st === 'restarting')).toHaveLength(4);
  });

  it('death by SIGKILL from outside is a crash', async () => {
    const s = start({ driver: referenceDriver() });
    await s.waitForState('w1', 'healthy');
    process.kill(s.supervisor.pid('w1')!, 'SIGKILL');
    const snapshot = await s.waitFor('w1', (snap) => snap.context.lastExit !== null);
    expect(snapshot.context.lastExit).toMatchObject({ code: null, signal: 'SIGKILL', class: 'crash' });
    expect(snapshot.context.crashCount).toBe(1);
    await s.waitFor('w1', (snap) => snap.matches('healthy') && snap.context.run === 2);
  });

  it('a worker that ignores SIGTERM is SIGKILLed after the grace, and the restart is not a crash', async () => {
    const s = start({ driver: referenceDriver({ REF_WORKER_FAULT: 'ignore-sigterm' }), policy: { stopGraceMs: 400 } });
    await s.waitForState('w1', 'healthy');
    const pid = s.supervisor.pid('w1')!;
    // Ask the worker to restart while it ignores both the shutdown message and SIGTERM.
    s.supervisor.command('w1', 'restart');
    const began = Date.now();
    const snapshot = await s.waitFor('w1', (snap) => snap.context.run === 2);
    expect(Date.now() - began).toBeGreaterThanOrEqual(350);
    expect(isAlive(pid)).toBe(false);
    expect(snapshot.context.lastExit).toMatchObject({ class: 'requested' });
    expect(snapshot.context.crashCount).toBe(0);
  });
});

describe('real workers under the statechart: failed starts', () => {
  it('a missing binary fails fast, and repeated failures end offline', async () => {
    const s = start({ driver: commandDriver('/nonexistent/lifeguard-worker'), policy: { maxConsecutiveFailures: 2 } });
    const began = Date.now();
    const snapshot = await s.waitForState('w1', 'offline', 60_000);
    // Fast: no startup timeout waited for (start() sets 5 s each, three attempts would be 15 s).
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(snapshot.context.lastExit).toMatchObject({ class: 'crash', error: 'ENOENT' });
    expect(snapshot.context.offlineReason).toBe('3 consecutive failures (last: crash)');
    expect(s.transitions()).not.toContain('healthy');
  });

  it('a file that is not executable (EACCES) is a failure too', async () => {
    const s = start({ driver: commandDriver(fixture('not-executable.sh')), policy: { maxConsecutiveFailures: 1 } });
    const snapshot = await s.waitForState('w1', 'offline', 60_000);
    expect(snapshot.context.lastExit?.error).toBe('EACCES');
  });

  it('a worker that never sends ready is not called healthy and its process is ended', async () => {
    const s = start({ driver: commandDriver(process.execPath, [fixture('forever.mjs')]), policy: { startupTimeoutMs: 300 } });
    const snapshot = await s.waitForState('w1', 'recovering');
    expect(snapshot.context.restartReason).toBe('startup_timeout');
    const first = s.events.find((e) => e.type === 'spawned');
    expect(first && first.type === 'spawned' && isAlive(first.pid)).toBe(false);
    expect(s.transitions()).not.toContain('healthy');
  });

  it('a worker that fails verification is not called healthy', async () => {
    const s = start({ driver: referenceDriver({ REF_WORKER_FAULT: 'fail-probe' }), policy: { verifyTimeoutMs: 300, maxConsecutiveFailures: 1 } });
    const snapshot = await s.waitForState('w1', 'offline');
    expect(snapshot.context.restartReason).toBe('verification_failed');
    expect(s.transitions()).not.toContain('healthy');
  });
});

describe('real workers under the statechart: wedge and memory', () => {
  it('a hung request triggers the wedge restart (not a crash) and the request fails clearly', async () => {
    const s = start({ driver: referenceDriver(), policy: { wedgeTimeoutMs: 400 } });
    await s.waitForState('w1', 'healthy');
    await expect(s.ask('[[hang]]')).rejects.toMatchObject({ kind: 'worker_crashed' });
    const snapshot = await s.waitFor('w1', (snap) => snap.matches('healthy') && snap.context.run === 2);
    expect(snapshot.context.restartReason).toBe('wedge');
    expect(snapshot.context.crashCount).toBe(0);
  });

  it('a leaking worker triggers the memory-cap restart', async () => {
    const s = start({ driver: referenceDriver(), policy: { maxRssMb: 120 } });
    await s.waitForState('w1', 'healthy');
    const baseline = await s.waitFor('w1', (snap) => snap.context.rssBytes !== null);
    expect(baseline.context.rssBytes!).toBeLessThan(120 * 1024 * 1024);
    await s.ask('[[leak:200]] hold this');
    const snapshot = await s.waitFor('w1', (snap) => snap.matches('healthy') && snap.context.run === 2);
    expect(snapshot.context.restartReason).toBe('memory');
    expect(snapshot.context.crashCount).toBe(0);
  });
});

describe('real workers under the statechart: process trees and output', () => {
  const zombieChildrenOf = (pid: number) =>
    listProcesses().filter((entry) => entry.ppid === pid && entry.state === 'Z');

  it('a worker that forked a grandchild: after stop neither process exists, and no zombie is left', async () => {
    const s = start({ driver: referenceDriver({ REF_WORKER_FAULT: 'fork' }) });
    await s.waitForState('w1', 'healthy');
    const pid = s.supervisor.pid('w1')!;
    const tree = workerTree(pid).map((entry) => entry.pid);
    expect(tree.length).toBe(2);
    await s.stop();
    for (const member of tree) expect(existsSync(`/proc/${member}`) && isAlive(member)).toBe(false);
    expect(zombieChildrenOf(process.pid)).toEqual([]);
  });

  it('what a crashed worker left in its process group is ended before the backoff starts', async () => {
    const s = start({ driver: referenceDriver({ REF_WORKER_FAULT: 'fork' }), policy: { backoffBaseMs: 2000, backoffMaxMs: 2000 } });
    await s.waitForState('w1', 'healthy');
    const pid = s.supervisor.pid('w1')!;
    const tree = workerTree(pid).map((entry) => entry.pid);
    expect(tree.length).toBe(2);
    process.kill(pid, 'SIGKILL');
    await s.waitForState('w1', 'recovering');
    for (const member of tree) expect(isAlive(member)).toBe(false);
  });

  it('a grandchild forked mid-request is ended with its parent on restart', async () => {
    const s = start({ driver: referenceDriver() });
    await s.waitForState('w1', 'healthy');
    const pid = s.supervisor.pid('w1')!;
    await s.ask('[[fork]] spawn one');
    const tree = workerTree(pid).map((entry) => entry.pid);
    expect(tree.length).toBe(2);
    s.supervisor.command('w1', 'restart');
    await s.waitFor('w1', (snap) => snap.matches('healthy') && snap.context.run === 2);
    for (const member of tree) expect(isAlive(member)).toBe(false);
  });

  it('garbage and over-long lines on stdout are logged as [WARN] and the worker keeps serving', async () => {
    const s = start({ driver: referenceDriver({}, 64 * 1024) });
    await s.waitForState('w1', 'healthy');
    expect((await s.ask('[[garbage]] after junk')).text).toBe('Echo: after junk');
    expect((await s.ask('[[long-line:256]] after a long line')).text).toBe('Echo: after a long line');
    const warnings = s.logs.filter((line) => line.includes('[WARN]'));
    expect(warnings.some((line) => line.includes('not JSON'))).toBe(true);
    expect(warnings.some((line) => line.includes('unknown type'))).toBe(true);
    expect(warnings.some((line) => line.includes('longer than 65536 bytes'))).toBe(true);
    expect(s.snapshotOf('w1').context).toMatchObject({ run: 1, crashCount: 0 });
  });

  it("a worker's stderr is logged with its worker id and its own pid", async () => {
    const s = start({ driver: referenceDriver({ REF_WORKER_FAULT: 'fork' }) });
    await s.waitForState('w1', 'healthy');
    const pid = s.supervisor.pid('w1')!;
    await s.waitFor('w1', () => s.logs.some((line) => line.includes('[STDERR] grandchild')));
    expect(s.logs.find((line) => line.includes('[STDERR] grandchild'))).toContain(`worker=w1 pid=${pid}`);
  });

  it('a request to a worker that exits mid-answer fails with worker_crashed, marked as started', async () => {
    const s = start({ driver: referenceDriver() });
    await s.waitForState('w1', 'healthy');
    await expect(s.ask('[[crash-mid:3]] half an answer')).rejects.toMatchObject({ kind: 'worker_crashed', answerStarted: true });
    await s.waitFor('w1', (snap) => snap.matches('healthy') && snap.context.run === 2);
  });
});

describe('dispatch leases', () => {
  it('an answer given up before it was read still frees the slot and tells the machine', async () => {
    const s = start({ driver: referenceDriver() });
    await s.waitForState('w1', 'healthy');
    const dispatch = await s.supervisor.dispatch({ messages: [{ role: 'user', content: 'never read' }] }, new Cancellation());
    expect(s.supervisor.stats().inFlight).toBe(1);
    expect(s.snapshotOf('w1').context.busy).toBe(true);
    await dispatch.events[Symbol.asyncIterator]().return?.();
    expect(s.supervisor.stats().inFlight).toBe(0);
    await s.waitFor('w1', (snapshot) => !snapshot.context.busy);
    expect((await s.ask('the next one')).text).toBe('Echo: the next one');
  });

  it('the machine learns when requests begin and when none is left, not each request', async () => {
    const s = start({ driver: referenceDriver({ REF_WORKER_CONCURRENCY: '3' }) });
    await s.waitForState('w1', 'healthy');
    const told = () => s.received.filter((r) => r.startsWith('w1: requests.'));
    const body = (content: string) => ({ messages: [{ role: 'user', content }] });
    const dispatches = await Promise.all(['one', 'two', 'three'].map((c) => s.supervisor.dispatch(body(c), new Cancellation())));
    expect(s.supervisor.stats().inFlight).toBe(3);
    expect(s.supervisor.snapshots()[0]!.inFlight).toBe(3);
    await dispatches[0]!.events[Symbol.asyncIterator]().return?.();
    await dispatches[1]!.events[Symbol.asyncIterator]().return?.();
    expect(s.snapshotOf('w1').context.busy).toBe(true);
    expect(s.supervisor.stats().inFlight).toBe(1);
    await dispatches[2]!.events[Symbol.asyncIterator]().return?.();
    await s.waitFor('w1', (snapshot) => !snapshot.context.busy);
    expect(told()).toEqual(['w1: requests.began', 'w1: requests.ended']);
  });

  it('requests back to back keep the worker busy to its machine: one edge pair, not one per request', async () => {
    const s = start({ driver: referenceDriver() });
    await s.waitForState('w1', 'healthy');
    const body = (content: string) => ({ messages: [{ role: 'user', content }] });
    // Each next request is taken while the previous one is still in flight, so the count never rests at 0.
    let previous = await s.supervisor.dispatch(body('first'), new Cancellation());
    for (let i = 0; i < 5; i++) {
      const next = s.supervisor.dispatch(body(`then ${i}`), new Cancellation());
      for await (const _ of previous.events) void _;
      previous = await next;
    }
    for await (const _ of previous.events) void _;
    await s.waitFor('w1', (snapshot) => !snapshot.context.busy);
    expect(s.received.filter((r) => r.startsWith('w1: requests.'))).toEqual(['w1: requests.began', 'w1: requests.ended']);
  });
});

describe('context reports', () => {
  it('a report that changes no decision is kept until the figures are read; one that reaches a threshold goes at once', async () => {
    const s = start({ driver: referenceDriver(), policy: { turnLimit: 10, tokenLimit: 0 } });
    await s.waitForState('w1', 'healthy');
    const reports = () => s.received.filter((r) => r === 'w1: context.reported').length;
    for (let turn = 1; turn <= 3; turn++) await s.ask(`turn ${turn}`);
    expect(reports()).toBe(0);
    expect(s.supervisor.snapshots()[0]!.snapshot.context.usage.turns).toBe(3);
    expect(reports()).toBe(1);
    for (let turn = 4; turn <= 7; turn++) await s.ask(`turn ${turn}`);
    expect(reports()).toBe(1);
    await s.ask('turn 8');
    expect(reports()).toBe(2);
    // It drains at once: the 80 % threshold was heard with the answer that reached it.
    expect(s.supervisor.snapshotOf('w1')!.context.restartReason).toBe('proactive');
  });
});

describe('peers for a proactive drain', () => {
  it('a worker that drains the moment it hears of a peer leaves the others knowing it is gone', async () => {
    const s = start({ driver: referenceDriver(), workers: 2, policy: { turnLimit: 10, tokenLimit: 0 } });
    await s.waitForState('w1', 'healthy');
    await s.waitForState('w2', 'healthy');
    // When w1 drains proactively, what w2 was told about its peers once that news has settled.
    const afterDrain = new Promise<{ reason: string | null; told: number; accepting: number }>((resolve) => {
      const unsubscribe = s.supervisor.subscribe((event) => {
        // Idle, w1 passes through draining within one step: it leaves healthy for restarting.
        if (event.type !== 'transition' || event.workerId !== 'w1' || event.from !== 'healthy') return;
        unsubscribe();
        setImmediate(() => {
          const accepting = s.supervisor.snapshots().filter((w) => w.id !== 'w2' && w.snapshot.hasTag('accepting')).length;
          resolve({ reason: s.snapshotOf('w1').context.restartReason, told: s.snapshotOf('w2').context.peersAccepting, accepting });
        });
      });
    });
    // w1 serves alone while w2 restarts (then the two share the turns); eight turns put w1 past the
    // proactive threshold (80 % of 10), and it drains as soon as it hears that w2 accepts.
    s.supervisor.command('w2', 'restart');
    await s.waitFor('w2', (snapshot) => !snapshot.hasTag('accepting'));
    for (let turn = 0; turn < 40 && s.snapshotOf('w1').context.usage.turns < 8; turn++) await s.ask(`turn ${turn}`);
    expect(await afterDrain).toEqual({ reason: 'proactive', told: 0, accepting: 0 });
  });
});
