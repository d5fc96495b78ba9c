import { createActor, fromCallback, SimulatedClock } from 'xstate';
import type { AnyEventObject } from 'xstate';
import { describe, expect, it } from 'vitest';
import { poolMachine } from '../../machines/pool-machine.js';
import type { PoolEmitted, PoolPolicy } from '../../machines/pool-types.js';
import type { WorkerMachineInput } from '../../machines/worker-types.js';

// The pool with fake workers that record what the pool tells them (stop, recycle), a simulated
// clock, and the facade's part played by the test: it sends worker.changed / request.routed /
// conversation.answered / clean.wanted as the supervisor would.
function createPool(policy: Partial<PoolPolicy> = {}, ids = ['w1', 'w2', 'w3']) {
  const clock = new SimulatedClock();
  const told: Array<{ id: string; type: string }> = [];
  const inputs: WorkerMachineInput[] = [];
  const emitted: PoolEmitted[] = [];
  const machine = poolMachine.provide({
    actors: {
      worker: fromCallback<AnyEventObject, WorkerMachineInput>(({ input, receive }) => {
        inputs.push(input);
        receive((event) => told.push({ id: input.workerId, type: event.type }));
      }) as never,
    },
  });
  const actor = createActor(machine, {
    clock,
    input: {
      // The floor (workers + standby) is every slot given, unless a test says otherwise.
      policy: { workers: ids.length - (policy.standby ?? 1), standby: 1, isolation: 'conversation', tenantIsolation: {}, sessionIdleMs: 60_000, maxProcesses: ids.length, memoryBudgetBytes: 2 ** 40, spawnConcurrency: 2, ...policy },
      workers: ids.map((workerId) => ({ workerId, seed: 1 })),
    },
  });
  actor.on('*', (event) => emitted.push(event as PoolEmitted));
  actor.start();
  const pool = {
    actor,
    clock,
    told,
    inputs,
    emitted,
    context: () => actor.getSnapshot().context,
    slot: (id: string) => actor.getSnapshot().context.slots.find((s) => s.id === id)!,
    changed: (slotId: string, over: { tag?: 'accepting' | 'waiting' | 'unavailable'; run?: number; stateful?: boolean; busy?: boolean; full?: boolean } = {}) =>
      actor.send({ type: 'worker.changed', slotId, tag: 'accepting', run: 1, stateful: true, busy: false, at: clock.now(), ...over }),
    routed: (slotId: string, result: 'continued' | 'new' | 'lost', key: string | null = null, run = 1, tenant = 'anonymous', lane = false) =>
      actor.send({ type: 'request.routed', slotId, run, result, key, tenant, lane, at: clock.now() }),
    answered: (slotId: string, digest: string, messageCount = 2, key: string | null = null, run = 1, continued = false, tenant = 'anonymous', lane = false) =>
      actor.send({ type: 'conversations.answered', answers: [{ slotId, run, digest, key, tenant, lane, messageCount, continued, at: clock.now() }], at: clock.now() }),
    /** Every slot accepting, stateful, run 1. */
    allUp: () => ids.forEach((id) => pool.changed(id)),
    advance: (ms: number) => clock.increment(ms),
  };
  return pool;
}

describe('pool machine: its workers', () => {
  it('spawns one worker machine per process, each with its input and a system id', () => {
    const p = createPool();
    expect(p.inputs.map((i) => i.workerId)).toEqual(['w1', 'w2', 'w3']);
    expect(p.actor.system.get('w2')).toBeDefined();
    expect(p.context().slots).toEqual(
      ['w1', 'w2', 'w3'].map((id) => ({ id, tag: 'waiting', run: 0, stateful: false, busy: false, usedRun: null, tenant: null, conversation: null, recycledRun: null, rssBytes: null, full: false, waitingSince: 0 })),
    );
    expect(p.context()).toMatchObject({ cleanWanted: 0, now: 0, lost: [] });
    expect(p.actor.getSnapshot().value).toEqual({ serving: 'watching' });
  });

  it('stop tells every worker to stop', () => {
    const p = createPool();
    p.actor.send({ type: 'stop' });
    expect(p.actor.getSnapshot().value).toBe('stopping');
    expect(p.told).toEqual([
      { id: 'w1', type: 'stop' },
      { id: 'w2', type: 'stop' },
      { id: 'w3', type: 'stop' },
    ]);
  });

  it('learns each worker’s tag, run, statefulness and load; an unknown slot changes nothing', () => {
    const p = createPool();
    p.advance(5);
    p.changed('w1', { tag: 'accepting', run: 3, stateful: true, busy: true });
    expect(p.slot('w1')).toMatchObject({ tag: 'accepting', run: 3, stateful: true, busy: true });
    expect(p.context().now).toBe(5);
    const before = p.context().slots;
    p.changed('nobody');
    expect(p.context().slots).toEqual(before);
  });
});

describe('pool machine: the conversation table', () => {
  it('a routed request marks the process used and starts or refreshes its conversation', () => {
    const p = createPool({ standby: 0 });
    p.allUp();
    p.advance(10);
    p.routed('w1', 'new', 'k1');
    expect(p.slot('w1')).toMatchObject({ usedRun: 1, conversation: { digest: '', key: 'k1', tenant: 'anonymous', lane: false, messageCount: 0, turns: 0, lastUsedAt: 10 } });
    expect(p.context().now).toBe(10);
    p.answered('w1', 'd2', 2, 'k1');
    expect(p.slot('w1').conversation).toEqual({ digest: 'd2', key: 'k1', tenant: 'anonymous', lane: false, messageCount: 2, turns: 1, lastUsedAt: 10 });
    p.advance(5);
    p.routed('w1', 'continued');
    expect(p.slot('w1').conversation).toEqual({ digest: 'd2', key: 'k1', tenant: 'anonymous', lane: false, messageCount: 2, turns: 1, lastUsedAt: 15 });
    p.answered('w1', 'd4', 4, 'k2', 1, true);
    expect(p.slot('w1').conversation).toMatchObject({ digest: 'd4', key: 'k2', tenant: 'anonymous', lane: false, messageCount: 4, turns: 2 });
    p.advance(5);
    p.answered('w1', 'd6', 6, null, 1, true);
    expect(p.slot('w1').conversation).toEqual({ digest: 'd6', key: 'k2', tenant: 'anonymous', lane: false, messageCount: 6, turns: 3, lastUsedAt: 20 });
    expect(p.context().now).toBe(20);
  });

  it('a new conversation answered on a used process replaces what it held: one turn, no key carried over', () => {
    const p = createPool({ standby: 0, isolation: 'shared' });
    p.allUp();
    p.routed('w1', 'new', 'k1');
    p.answered('w1', 'd2', 2, 'k1');
    p.answered('w1', 'd4', 4, 'k1', 1, true);
    expect(p.slot('w1').conversation).toMatchObject({ digest: 'd4', key: 'k1', turns: 2 });
    p.answered('w1', 'other', 2);
    expect(p.slot('w1').conversation).toMatchObject({ digest: 'other', key: null, tenant: 'anonymous', lane: false, messageCount: 2, turns: 1 });
  });

  it('answers told together are each recorded, in order, each with the time it ended', () => {
    const p = createPool({ standby: 0 });
    p.allUp();
    p.advance(3);
    p.actor.send({
      type: 'conversations.answered',
      answers: [
        { slotId: 'w1', run: 1, digest: 'a', key: null, tenant: 'anonymous', lane: false, messageCount: 2, continued: false, at: 1 },
        { slotId: 'w2', run: 1, digest: 'b', key: 'k', tenant: 'anonymous', lane: false, messageCount: 4, continued: false, at: 2 },
        { slotId: 'w1', run: 1, digest: 'a2', key: null, tenant: 'anonymous', lane: false, messageCount: 4, continued: true, at: 3 },
      ],
      at: p.clock.now(),
    });
    expect(p.slot('w1').conversation).toEqual({ digest: 'a2', key: null, tenant: 'anonymous', lane: false, messageCount: 4, turns: 2, lastUsedAt: 3 });
    expect(p.slot('w2').conversation).toEqual({ digest: 'b', key: 'k', tenant: 'anonymous', lane: false, messageCount: 4, turns: 1, lastUsedAt: 2 });
    expect(p.context().now).toBe(3);
  });

  it('a new conversation under a key takes the key from the process that held it', () => {
    const p = createPool({ standby: 0 });
    p.allUp();
    p.routed('w1', 'new', 'k');
    p.routed('w2', 'new', 'k');
    expect(p.slot('w1').conversation?.key).toBeNull();
    expect(p.slot('w2').conversation?.key).toBe('k');
    p.routed('w3', 'continued', 'k');
    expect(p.slot('w2').conversation?.key).toBe('k');
  });

  it('routes and answers for an earlier run of the process are ignored', () => {
    const p = createPool({ standby: 0 });
    p.changed('w1', { run: 2 });
    p.routed('w1', 'new', null, 1);
    p.answered('w1', 'd', 2, null, 1);
    expect(p.slot('w1')).toMatchObject({ usedRun: null, conversation: null });
  });

  it('a new run or an unavailable process forgets its conversation, which is remembered as lost', () => {
    const p = createPool({ standby: 0 });
    p.allUp();
    p.routed('w1', 'new', 'k1');
    p.answered('w1', 'd1', 2, 'k1');
    p.routed('w2', 'new');
    p.answered('w2', 'd2');
    p.changed('w1', { run: 2 });
    p.changed('w2', { tag: 'unavailable' });
    expect(p.slot('w1').conversation).toBeNull();
    expect(p.slot('w2').conversation).toBeNull();
    expect(p.context().lost).toEqual([
      { digest: 'd1', key: 'k1', tenant: 'anonymous' },
      { digest: 'd2', key: null, tenant: 'anonymous' },
    ]);
    p.routed('w3', 'new');
    p.answered('w3', 'd3');
    p.changed('w3', { busy: true });
    expect(p.slot('w3').conversation?.digest).toBe('d3');
  });
});

describe('pool machine: spares and recycling', () => {
  it('below its spares the pool recycles the least recently used idle conversation’s process', () => {
    const p = createPool({ standby: 1 }, ['w1', 'w2']);
    p.allUp();
    p.routed('w1', 'new');
    p.answered('w1', 'old');
    p.advance(10);
    p.routed('w2', 'new');
    p.answered('w2', 'new');
    expect(p.told).toEqual([{ id: 'w1', type: 'recycle' }]);
    expect(p.emitted.filter((e) => e.type === 'slot.recycled')).toEqual([{ type: 'slot.recycled', slotId: 'w1', reason: 'lru', digest: 'old' }]);
    expect(p.slot('w1')).toMatchObject({ recycledRun: 1, conversation: null });
    expect(p.context().lost).toEqual([{ digest: 'old', key: null, tenant: 'anonymous' }]);
  });

  it('requests waiting for a clean process make it recycle even with its spares', () => {
    const p = createPool({ standby: 0 }, ['w1', 'w2']);
    p.allUp();
    p.routed('w1', 'new');
    p.answered('w1', 'd1');
    p.routed('w2', 'new');
    p.answered('w2', 'd2');
    expect(p.told).toEqual([]);
    p.advance(7);
    p.actor.send({ type: 'clean.wanted', count: 1, at: p.clock.now() });
    expect(p.context()).toMatchObject({ cleanWanted: 1, now: 7 });
    expect(p.told).toEqual([{ id: 'w1', type: 'recycle' }]);
    expect(p.context().lost).toEqual([{ digest: 'd1', key: null, tenant: 'anonymous' }]);
    expect(p.emitted.at(-1)).toEqual({ type: 'slot.recycled', slotId: 'w1', reason: 'lru', digest: 'd1' });
  });

  it('a conversation idle for session_idle_ms ends: a stateful process is recycled, a stateless one forgets', () => {
    const p = createPool({ standby: 0, sessionIdleMs: 1000 }, ['w1', 'w2']);
    p.changed('w1', { stateful: true });
    p.changed('w2', { stateful: false });
    p.routed('w1', 'new');
    p.answered('w1', 'd1');
    p.routed('w2', 'new');
    p.answered('w2', 'd2');
    p.advance(999);
    expect(p.told).toEqual([]);
    p.advance(1);
    expect(p.told).toEqual([{ id: 'w1', type: 'recycle' }]);
    expect(p.emitted.at(-1)).toEqual({ type: 'slot.recycled', slotId: 'w1', reason: 'idle', digest: 'd1' });
    expect(p.slot('w1')).toMatchObject({ conversation: null, recycledRun: 1 });
    expect(p.slot('w2')).toMatchObject({ conversation: null, recycledRun: null });
    expect(p.context().lost).toEqual([
      { digest: 'd1', key: null, tenant: 'anonymous' },
      { digest: 'd2', key: null, tenant: 'anonymous' },
    ]);
    expect(p.context().now).toBe(1000);
  });

  it('a check before a conversation’s idle end finds nothing and waits for that end; a request in flight keeps it', () => {
    const p = createPool({ standby: 0, sessionIdleMs: 1000 }, ['w1']);
    p.changed('w1');
    p.routed('w1', 'new');
    p.answered('w1', 'd1');
    expect(p.context().idleCheckAt).toBe(1000);
    p.advance(600);
    p.routed('w1', 'continued');
    p.advance(400);
    expect(p.told).toEqual([]);
    expect(p.context()).toMatchObject({ now: 1000, idleCheckAt: 1600 });
    p.advance(200);
    p.changed('w1', { busy: true });
    p.advance(400);
    expect(p.told).toEqual([]);
    expect(p.context().idleCheckAt).toBe(2600);
    expect(p.slot('w1').conversation?.digest).toBe('d1');
  });

  it('a check that finds nothing held schedules the next one a whole idle time on; an answer’s end is found', () => {
    const p = createPool({ standby: 0, sessionIdleMs: 1000 }, ['w1']);
    p.changed('w1');
    expect(p.context().idleCheckAt).toBe(1000);
    p.advance(1000);
    expect(p.context()).toMatchObject({ now: 1000, idleCheckAt: 2000 });
    p.routed('w1', 'new');
    p.advance(300);
    p.answered('w1', 'd1');
    p.advance(700);
    expect(p.context().idleCheckAt).toBe(2300);
    expect(p.told).toEqual([]);
    p.advance(300);
    expect(p.told).toEqual([{ id: 'w1', type: 'recycle' }]);
  });

  it('the end of a request, answered or not, starts its conversation’s idle time anew', () => {
    const p = createPool({ standby: 0, sessionIdleMs: 1000 }, ['w1']);
    p.changed('w1');
    p.routed('w1', 'new');
    p.answered('w1', 'd1');
    p.advance(100);
    p.changed('w1', { busy: true });
    p.advance(800);
    p.changed('w1', { busy: false });
    expect(p.slot('w1').conversation?.lastUsedAt).toBe(900);
    p.advance(100);
    expect(p.context().idleCheckAt).toBe(1900);
    p.advance(899);
    expect(p.told).toEqual([]);
    p.advance(1);
    expect(p.told).toEqual([{ id: 'w1', type: 'recycle' }]);
  });

  it('only the end of a busy spell restarts a conversation’s idle time; a process holding none gets none', () => {
    const p = createPool({ standby: 0, sessionIdleMs: 1000 }, ['w1', 'w2']);
    p.allUp();
    p.routed('w1', 'new');
    p.answered('w1', 'd1');
    p.advance(300);
    p.changed('w1', { busy: true });
    p.advance(100);
    p.changed('w1', { busy: true, tag: 'waiting' });
    expect(p.slot('w1').conversation?.lastUsedAt).toBe(0);
    p.changed('w2', { busy: true });
    p.changed('w2', { busy: false });
    expect(p.slot('w2').conversation).toBeNull();
  });

  it('a continued answer on a process whose conversation was forgotten meanwhile starts it again at one turn', () => {
    const p = createPool({ standby: 0, isolation: 'shared' }, ['w1']);
    p.changed('w1', { stateful: false });
    p.answered('w1', 'd2', 2, null, 1, true);
    expect(p.slot('w1').conversation).toMatchObject({ digest: 'd2', key: null, turns: 1 });
  });

  it('a pool that starts at a later clock reading schedules its first check from there', () => {
    const clock = new SimulatedClock();
    clock.set(5000);
    const actor = createActor(poolMachine.provide({ actors: { worker: fromCallback(() => undefined) as never } }), {
      clock,
      input: { now: 5000, policy: { workers: 1, standby: 0, isolation: 'conversation', tenantIsolation: {}, sessionIdleMs: 1000, maxProcesses: 1, memoryBudgetBytes: 2 ** 40, spawnConcurrency: 1 }, workers: [{ workerId: 'w1', seed: 1 }] },
    });
    actor.start();
    expect(actor.getSnapshot().context).toMatchObject({ now: 5000, idleCheckAt: 6000 });
    clock.increment(1000);
    expect(actor.getSnapshot().context).toMatchObject({ now: 6000, idleCheckAt: 7000 });
    actor.stop();
  });

  it('an idle conversation on a process that is not accepting is forgotten without a recycle', () => {
    const p = createPool({ standby: 0, sessionIdleMs: 1000 }, ['w1']);
    p.changed('w1');
    p.routed('w1', 'new');
    p.answered('w1', 'd1');
    p.changed('w1', { tag: 'waiting' });
    p.advance(1000);
    expect(p.told).toEqual([]);
    expect(p.slot('w1')).toMatchObject({ conversation: null, recycledRun: null });
  });
});

describe('pool machine: capacity by memory, lanes (issue 28)', () => {
  const MB = 1024 * 1024;
  const measured = (p: ReturnType<typeof createPool>, slotId: string, mb: number) =>
    p.actor.send({ type: 'worker.measured', slotId, rssBytes: mb * MB, at: p.clock.now() });

  it('short of spares with room in the budget, it spawns a worker machine of its own id and seed, and times its start', () => {
    const p = createPool({ workers: 1, standby: 1, maxProcesses: 4, spawnConcurrency: 1 }, ['w1', 'w2']);
    p.allUp();
    p.routed('w1', 'new');
    p.routed('w2', 'new');
    expect(p.inputs.map((i) => [i.workerId, i.seed])).toEqual([['w1', 1], ['w2', 1], ['w3', 4]]);
    expect(p.emitted).toContainEqual({ type: 'slot.spawned', slotId: 'w3', reason: 'spare' });
    expect(p.context()).toMatchObject({ nextSlot: 4, arrivals: [0, 0] });
    expect(p.slot('w3')).toMatchObject({ tag: 'waiting', run: 0, waitingSince: 0 });
    // One start at a time: the next spare waits for this one.
    p.answered('w3', 'x', 2, null, 0);
    expect(p.inputs).toHaveLength(3);
    p.advance(1000);
    p.changed('w3');
    // (w1 and w2 came up at once: two samples of 0 ms before this one of 1000 ms.)
    expect(p.context().coldStartMs).toBe(1094);
    expect(p.slot('w3').waitingSince).toBeNull();
    expect(p.told).toEqual([]);
  });

  it('below the floor it spawns at once; a full budget or the cap makes it recycle the least recently used instead', () => {
    const p = createPool({ workers: 1, standby: 1, maxProcesses: 2 }, ['w1']);
    expect(p.emitted).toEqual([{ type: 'slot.spawned', slotId: 'w2', reason: 'floor' }]);
    p.allUp();
    p.changed('w2');
    p.routed('w1', 'new');
    p.answered('w1', 'a');
    p.advance(5);
    p.routed('w2', 'new');
    p.answered('w2', 'b');
    expect(p.told).toEqual([{ id: 'w1', type: 'recycle' }]);
    expect(p.inputs).toHaveLength(2);
  });

  // A pool grown past its floor of two: w1 and w2 hold conversations, w3 was spawned as the spare.
  const grown = (policy: Partial<PoolPolicy>) => {
    const p = createPool({ workers: 1, standby: 1, maxProcesses: 10, sessionIdleMs: 1000, ...policy }, ['w1', 'w2']);
    p.allUp();
    p.routed('w1', 'new');
    p.answered('w1', 'a');
    p.advance(5);
    p.routed('w2', 'new');
    p.answered('w2', 'b');
    p.changed('w3');
    return p;
  };

  it('over the memory budget above the floor, a clean idle spare is stopped first, then the least recently used idle conversation', () => {
    const p = grown({ memoryBudgetBytes: 1000 * MB });
    measured(p, 'w1', 300);
    measured(p, 'w2', 300);
    expect(p.told).toEqual([]);
    measured(p, 'w3', 500);
    expect(p.told).toEqual([{ id: 'w3', type: 'stop' }]);
    const q = grown({ memoryBudgetBytes: 1100 * MB });
    q.routed('w3', 'new');
    q.answered('w3', 'c');
    expect(q.slot('w4')).toMatchObject({ tag: 'waiting' });
    measured(q, 'w1', 300);
    expect(q.told).toEqual([{ id: 'w1', type: 'stop' }]);
    expect(q.emitted.filter((e) => e.type === 'slot.retired')).toEqual([{ type: 'slot.retired', slotId: 'w1', reason: 'budget', digest: 'a' }]);
    expect(q.context().lost).toEqual([{ digest: 'a', key: null, tenant: 'anonymous' }]);
    expect(q.context().slots.map((s) => s.id)).toEqual(['w2', 'w3', 'w4']);
  });

  it('spares beyond those wanted are stopped above the floor; an idled-out conversation there is stopped, not recycled', () => {
    const p = createPool({ workers: 1, standby: 0 }, ['w1', 'w2', 'w3']);
    p.allUp();
    expect(p.emitted.map((e) => e.type)).toEqual(['slot.retired', 'slot.retired']);
    expect(p.context().slots).toHaveLength(1);
    const q = grown({});
    q.advance(1000);
    q.advance(5);
    expect(q.told).toEqual([{ id: 'w1', type: 'stop' }, { id: 'w2', type: 'recycle' }]);
    expect(q.emitted.filter((e) => e.type !== 'slot.spawned')).toEqual([
      { type: 'slot.retired', slotId: 'w1', reason: 'idle', digest: 'a' },
      { type: 'slot.recycled', slotId: 'w2', reason: 'idle', digest: 'b' },
    ]);
  });

  it('a ready spare is not stopped as one too many while a process still starting makes up the count: the excess goes once both are ready', () => {
    const p = grown({});
    // w1's process crashes: it restarts (a spare on its way) beside w3, the ready spare.
    p.changed('w1', { tag: 'waiting', run: 2 });
    expect(p.told).toEqual([]);
    expect(p.context().slots.map((s) => s.id)).toEqual(['w1', 'w2', 'w3']);
    p.changed('w1', { run: 2 });
    expect(p.told).toEqual([{ id: 'w3', type: 'stop' }]);
    expect(p.emitted.filter((e) => e.type === 'slot.retired')).toEqual([{ type: 'slot.retired', slotId: 'w3', reason: 'excess', digest: null }]);
  });

  it('a recycle is a start from the moment it is asked: at spawn concurrency 1, two requests waiting at the cap recycle one process, then the next', () => {
    const p = createPool({ workers: 3, standby: 0, maxProcesses: 3, spawnConcurrency: 1 }, ['w1', 'w2', 'w3']);
    p.allUp();
    for (const [i, id] of ['w1', 'w2', 'w3'].entries()) {
      p.routed(id, 'new');
      p.answered(id, `c${i}`);
      p.advance(5);
    }
    p.actor.send({ type: 'clean.wanted', count: 2, at: p.clock.now() });
    expect(p.told).toEqual([{ id: 'w1', type: 'recycle' }]);
    p.changed('w1', { tag: 'waiting' });
    expect(p.told).toHaveLength(1);
    p.changed('w1', { run: 2 });
    expect(p.told).toEqual([{ id: 'w1', type: 'recycle' }, { id: 'w2', type: 'recycle' }]);
  });

  it('a lane holds its tenant’s first turns (remembered to count a continuation moved) and is recycled when full', () => {
    const p = createPool({ isolation: 'tenant' }, ['w1', 'w2', 'w3']);
    p.allUp();
    p.routed('w1', 'new', null, 1, 'alice', true);
    p.answered('w1', 'first', 2, null, 1, false, 'alice', true);
    p.answered('w1', 'second', 2, null, 1, false, 'alice', true);
    expect(p.slot('w1')).toMatchObject({ tenant: 'alice', conversation: { lane: true, digest: '', turns: 2, tenant: 'alice' } });
    expect(p.context().laneTurns).toEqual([
      { digest: 'first', key: null, tenant: 'alice' },
      { digest: 'second', key: null, tenant: 'alice' },
    ]);
    p.changed('w1', { full: true, busy: true });
    expect(p.told).toEqual([]);
    p.changed('w1', { full: true });
    expect(p.told).toEqual([{ id: 'w1', type: 'recycle' }]);
    expect(p.emitted).toContainEqual({ type: 'slot.recycled', slotId: 'w1', reason: 'lane', digest: null });
    expect(p.context().lost).toEqual([]);
  });

  it('a route that took a clean process carries the count of requests still waiting; a key is replaced only within its tenant', () => {
    const p = createPool({ maxProcesses: 10 }, ['w1', 'w2', 'w3']);
    p.allUp();
    p.actor.send({ type: 'clean.wanted', count: 2, at: 0 });
    p.actor.send({ type: 'request.routed', slotId: 'w1', run: 1, result: 'new', key: 'k', tenant: 'alice', lane: false, cleanWanted: 1, at: 0 });
    expect(p.context().cleanWanted).toBe(1);
    p.actor.send({ type: 'clean.wanted', count: 0, at: 0 });
    p.routed('w2', 'new', 'k', 1, 'bob');
    expect(p.slot('w1').conversation?.key).toBe('k');
    p.routed('w3', 'new', 'k', 1, 'alice');
    expect(p.context().cleanWanted).toBe(0);
    expect(p.slot('w1').conversation?.key).toBeNull();
    expect(p.slot('w2').conversation?.key).toBe('k');
  });
});
