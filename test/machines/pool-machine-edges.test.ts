import { createActor, fromCallback, SimulatedClock } from 'xstate';
import type { AnyEventObject } from 'xstate';
import { describe, expect, it } from 'vitest';
import { poolMachine } from '../../machines/pool-machine.js';
import type { PoolEmitted, PoolPolicy } from '../../machines/pool-types.js';
import type { WorkerMachineInput } from '../../machines/worker-types.js';

// The pool's edges the facade relies on: start timing, arrivals, lane turns, what a retire or a
// recycle tells the worker, and how several conversations idling out together share the floor.
// Fake workers record what they are told; a simulated clock drives the idle checks.
function createPool(policy: Partial<PoolPolicy> = {}, ids = ['w1', 'w2', 'w3'], seed: number | undefined = 1) {
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
      policy: { workers: ids.length - (policy.standby ?? 1), standby: 1, isolation: 'conversation', tenantIsolation: {}, sessionIdleMs: 60_000, maxProcesses: ids.length, memoryBudgetBytes: 2 ** 40, spawnConcurrency: 2, ...policy },
      workers: ids.map((workerId) => (seed === undefined ? { workerId } : { workerId, seed })),
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
    slot: (id: string) => actor.getSnapshot().context.slots.find((s) => s.id === id),
    changed: (slotId: string, over: { tag?: 'accepting' | 'waiting' | 'unavailable'; run?: number; stateful?: boolean; busy?: boolean; full?: boolean } = {}) =>
      actor.send({ type: 'worker.changed', slotId, tag: 'accepting', run: 1, stateful: true, busy: false, at: clock.now(), ...over }),
    routed: (slotId: string, result: 'continued' | 'new' | 'lost', key: string | null = null, run = 1, tenant = 'anonymous', lane = false) =>
      actor.send({ type: 'request.routed', slotId, run, result, key, tenant, lane, at: clock.now() }),
    answered: (slotId: string, digest: string, messageCount = 2, key: string | null = null, run = 1, continued = false, tenant = 'anonymous', lane = false) =>
      actor.send({ type: 'conversations.answered', answers: [{ slotId, run, digest, key, tenant, lane, messageCount, continued, at: clock.now() }], at: clock.now() }),
    allUp: () => ids.forEach((id) => pool.changed(id)),
    advance: (ms: number) => clock.increment(ms),
  };
  return pool;
}

describe('pool machine: spawned workers', () => {
  it('a spawned worker’s seed is the template’s plus its slot number, from 1 when the template has none', () => {
    const seeded = createPool({ workers: 1, standby: 1, maxProcesses: 2 }, ['w1'], 7);
    expect(seeded.inputs.map((i) => [i.workerId, i.seed])).toEqual([['w1', 7], ['w2', 9]]);
    const unseeded = createPool({ workers: 1, standby: 1, maxProcesses: 2 }, ['w1'], undefined);
    expect(unseeded.inputs.at(-1)).toMatchObject({ workerId: 'w2', seed: 3 });
  });
});

describe('pool machine: start timing', () => {
  // One process, up once at 0 ms (a sample of 0 ms: the cold start becomes 1500).
  const upAtZero = () => {
    const p = createPool({ workers: 1, standby: 0 }, ['w1']);
    p.changed('w1');
    expect(p.context().coldStartMs).toBe(1500);
    return p;
  };

  it('a restart is timed from the first moment the process stopped accepting to when it accepts again', () => {
    const p = upAtZero();
    p.advance(100);
    p.changed('w1', { tag: 'waiting' });
    expect(p.slot('w1')?.waitingSince).toBe(100);
    p.advance(200);
    p.changed('w1', { tag: 'waiting', busy: true });
    expect(p.slot('w1')?.waitingSince).toBe(100);
    p.advance(300);
    p.changed('w1', { run: 2 });
    // 600 − 100 = 500 ms, a quarter of weight: (1500 × 3 + 500) / 4.
    expect(p.context().coldStartMs).toBe(1250);
    expect(p.slot('w1')?.waitingSince).toBeNull();
  });

  it('a change while accepting, or a start that ends offline, is not a start and leaves the cold start alone', () => {
    const p = upAtZero();
    p.advance(700);
    p.changed('w1', { busy: true });
    p.changed('w1');
    expect(p.context().coldStartMs).toBe(1500);
    p.changed('w1', { tag: 'waiting' });
    p.advance(400);
    p.changed('w1', { tag: 'unavailable' });
    expect(p.context().coldStartMs).toBe(1500);
    expect(p.slot('w1')?.waitingSince).toBeNull();
  });
});

describe('pool machine: measurements and arrivals', () => {
  it('a measurement later than anything seen moves the pool’s clock on', () => {
    const p = createPool({ workers: 1, standby: 0 }, ['w1']);
    p.advance(250);
    p.actor.send({ type: 'worker.measured', slotId: 'w1', rssBytes: 1000, at: 250 });
    expect(p.context().now).toBe(250);
    expect(p.slot('w1')?.rssBytes).toBe(1000);
  });

  it('only a route that takes a clean process of the current run counts as an arrival', () => {
    const p = createPool({ workers: 3, standby: 0, isolation: 'shared' }, ['w1', 'w2', 'w3']);
    p.allUp();
    p.advance(10);
    p.routed('w1', 'new');
    p.advance(10);
    p.routed('w1', 'new');
    p.routed('w2', 'new', null, 0);
    p.routed('nobody', 'new');
    expect(p.context().arrivals).toEqual([10]);
  });

  it('a new conversation routed to a used process replaces the one it held at once, under the new key', () => {
    const p = createPool({ workers: 3, standby: 0, isolation: 'shared' }, ['w1', 'w2', 'w3']);
    p.allUp();
    p.routed('w1', 'new', 'k1');
    p.answered('w1', 'd2', 2, 'k1');
    p.advance(10);
    p.routed('w1', 'new', 'k2');
    expect(p.slot('w1')?.conversation).toEqual({ digest: '', key: 'k2', tenant: 'anonymous', lane: false, messageCount: 0, turns: 0, lastUsedAt: 10 });
  });
});

describe('pool machine: lanes', () => {
  it('only lane answers are remembered as lane turns, the newest 64 of them', () => {
    const p = createPool({ isolation: 'tenant' }, ['w1', 'w2', 'w3']);
    p.allUp();
    p.answered('w2', 'held', 2, null, 1, false, 'alice', false);
    expect(p.context().laneTurns).toEqual([]);
    const answers = Array.from({ length: 70 }, (_, i) => ({ slotId: 'w1', run: 1, digest: `t${i}`, key: null, tenant: 'alice', lane: true, messageCount: 2, continued: false, at: 0 }));
    p.actor.send({ type: 'conversations.answered', answers, at: 0 });
    expect(p.context().laneTurns).toHaveLength(64);
    expect(p.context().laneTurns[0]).toEqual({ digest: 't6', key: null, tenant: 'alice' });
    // The lane's first answer found the process holding nothing: it counts its turns from one.
    expect(p.slot('w1')?.conversation).toMatchObject({ lane: true, turns: 70 });
  });

  it('a full lane recycled holds nothing more and is counted on its way to clean', () => {
    const p = createPool({ isolation: 'tenant' }, ['w1', 'w2', 'w3']);
    p.allUp();
    p.routed('w1', 'new', null, 1, 'alice', true);
    p.answered('w1', 'first', 2, null, 1, false, 'alice', true);
    p.changed('w1', { full: true });
    expect(p.slot('w1')).toMatchObject({ recycledRun: 1, conversation: null });
    expect(p.told).toEqual([{ id: 'w1', type: 'recycle' }]);
  });
});

describe('pool machine: shrinking', () => {
  it('a spare in excess is told to stop and announced as retired for excess', () => {
    const p = createPool({ workers: 1, standby: 0 }, ['w1', 'w2']);
    p.changed('w1');
    expect(p.told).toEqual([{ id: 'w1', type: 'stop' }]);
    expect(p.emitted).toEqual([{ type: 'slot.retired', slotId: 'w1', reason: 'excess', digest: null }]);
    expect(p.context().slots.map((s) => s.id)).toEqual(['w2']);
  });

  it('conversations idling out together share the floor and the spares: each outcome counts for the next', () => {
    // Floor 4 (2 workers + 2 standby), five processes: w0 stateless, w1–w3 isolated, w4 still starting
    // (the one spare; one start at a time, so none is spawned nor recycled before the check).
    const p = createPool({ workers: 2, standby: 2, sessionIdleMs: 1000, maxProcesses: 5, spawnConcurrency: 1 }, ['w0', 'w1', 'w2', 'w3', 'w4']);
    for (const id of ['w0', 'w1', 'w2', 'w3']) {
      const stateful = id !== 'w0';
      p.changed(id, { stateful, busy: true });
      p.routed(id, 'new');
      p.answered(id, `c-${id}`);
      p.changed(id, { stateful });
    }
    expect(p.told).toEqual([]);
    p.advance(1000);
    // w0 only forgets; w1 restarts clean (one spare short); w2 is stopped (above the floor, spares enough);
    // w3 restarts clean (the pool is at its floor again).
    expect(p.told).toEqual([
      { id: 'w1', type: 'recycle' },
      { id: 'w2', type: 'stop' },
      { id: 'w3', type: 'recycle' },
    ]);
    expect(p.context().slots.map((s) => [s.id, s.conversation, s.recycledRun])).toEqual([
      ['w0', null, null],
      ['w1', null, 1],
      ['w3', null, 1],
      ['w4', null, null],
    ]);
  });
});
