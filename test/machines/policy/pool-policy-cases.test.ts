import { describe, expect, it } from 'vitest';
import {
  LOST_MEMORY,
  chooseRoute,
  findHolder,
  idleSlots,
  isClean,
  isIsolated,
  needsSpare,
  nextIdleDelay,
  recycleVictim,
  rememberLost,
  spareCount,
} from '../../../machines/policy/pool-policy.js';
import type { RouteCandidate, RouteRequest } from '../../../machines/policy/pool-policy.js';
import type { HeldConversation, PoolContext, PoolSlot } from '../../../machines/pool-types.js';

function slot(id: string, over: Partial<PoolSlot> = {}): PoolSlot {
  return { id, tag: 'accepting', run: 1, stateful: true, busy: false, usedRun: null, tenant: null, conversation: null, recycledRun: null, rssBytes: null, full: false, waitingSince: null, ...over };
}

function held(over: Partial<HeldConversation> = {}): HeldConversation {
  return { digest: 'd2', key: null, tenant: 'anonymous', lane: false, messageCount: 2, turns: 1, lastUsedAt: 100, ...over };
}

/** A process that served its current run and holds a conversation. */
const used = (id: string, over: Partial<PoolSlot> = {}) => slot(id, { usedRun: 1, conversation: held(), ...over });

function pool(slots: PoolSlot[], over: Partial<PoolContext> = {}): PoolContext {
  return {
    policy: { workers: 2, standby: 1, isolation: 'conversation', sessionIdleMs: 1000, tenantIsolation: {}, maxProcesses: 1, memoryBudgetBytes: 2 ** 40, spawnConcurrency: 2 },
    slots,
    cleanWanted: 0,
    now: 0,
    idleCheckAt: 0,
    lost: [],
    laneTurns: [], arrivals: [], coldStartMs: 2000, nextSlot: 9, slotPrefix: 'w',
    ...over,
  };
}

const candidate = (id: string, over: Partial<RouteCandidate> = {}): RouteCandidate => ({ id, accepting: true, free: true, load: 0, ...over });
const request = (digests: string[], over: Partial<RouteRequest> = {}): RouteRequest => ({ prefixDigests: digests, key: null, hasAssistant: false, tenant: 'anonymous', ...over });

describe('pool policy: clean processes and spares', () => {
  it('a process is clean until it serves in its current run', () => {
    expect(isClean(slot('a'))).toBe(true);
    expect(isClean(slot('a', { usedRun: 1 }))).toBe(false);
    expect(isClean(slot('a', { usedRun: 1, run: 2 }))).toBe(true);
  });

  it('isolation holds only for stateful workers with isolation on', () => {
    expect(isIsolated(pool([]), slot('a'))).toBe(true);
    expect(isIsolated(pool([]), slot('a', { stateful: false }))).toBe(false);
    expect(isIsolated(pool([], { policy: { workers: 1, standby: 0, isolation: 'shared', sessionIdleMs: 1, tenantIsolation: {}, maxProcesses: 1, memoryBudgetBytes: 2 ** 40, spawnConcurrency: 2 } }), slot('a'))).toBe(false);
  });

  it('spares: clean accepting, any waiting, or recycled this run; not used, not unavailable', () => {
    const context = pool([
      slot('clean'),
      used('waiting', { tag: 'waiting' }),
      used('recycled', { recycledRun: 1 }),
      used('used'),
      used('stale-recycle', { recycledRun: 0 }),
      slot('offline', { tag: 'unavailable' }),
    ]);
    expect(spareCount(context)).toBe(3);
  });

  it('the victim is the least recently used idle isolated conversation', () => {
    const context = pool([
      used('new', { conversation: held({ lastUsedAt: 300 }) }),
      used('old', { conversation: held({ lastUsedAt: 100 }) }),
      used('older-busy', { conversation: held({ lastUsedAt: 50 }), busy: true }),
      used('oldest-waiting', { conversation: held({ lastUsedAt: 10 }), tag: 'waiting' }),
      used('oldest-stateless', { conversation: held({ lastUsedAt: 10 }), stateful: false }),
      slot('spare'),
    ]);
    expect(recycleVictim(context)?.id).toBe('old');
    expect(recycleVictim(pool([used('a', { conversation: null }), used('b')]))?.id).toBe('a');
    expect(recycleVictim(pool([slot('spare')]))).toBeNull();
  });

  it('a spare is needed below standby plus the requests waiting for a clean process, if there is a victim', () => {
    expect(needsSpare(pool([used('a'), used('b')]))).toBe(true);
    expect(needsSpare(pool([used('a'), slot('b')]))).toBe(false);
    expect(needsSpare(pool([used('a'), slot('b')], { cleanWanted: 1 }))).toBe(true);
    expect(needsSpare(pool([used('a', { busy: true }), used('b', { busy: true })]))).toBe(false);
    expect(needsSpare(pool([used('a')], { policy: { workers: 1, standby: 0, isolation: 'conversation', sessionIdleMs: 1, tenantIsolation: {}, maxProcesses: 1, memoryBudgetBytes: 2 ** 40, spawnConcurrency: 2 } }))).toBe(false);
  });
});

describe('pool policy: idle conversations', () => {
  it('a conversation idles out session_idle_ms after its last use, unless a request is in flight', () => {
    const context = pool([
      used('a', { conversation: held({ lastUsedAt: 100 }) }),
      used('b', { conversation: held({ lastUsedAt: 500 }) }),
      used('busy', { conversation: held({ lastUsedAt: 0 }), busy: true }),
      slot('empty'),
    ]);
    expect(idleSlots(context, 1099).map((s) => s.id)).toEqual([]);
    expect(idleSlots(context, 1100).map((s) => s.id)).toEqual(['a']);
    expect(idleSlots(context, 1500).map((s) => s.id)).toEqual(['a', 'b']);
  });

  it('the next check is when the earliest conversation idles out, never in the past; session_idle_ms with none', () => {
    const context = pool([used('a', { conversation: held({ lastUsedAt: 300 }) }), used('b', { conversation: held({ lastUsedAt: 100 }) })], { now: 200 });
    expect(nextIdleDelay(context)).toBe(900);
    expect(nextIdleDelay({ ...context, now: 5000 })).toBe(0);
    expect(nextIdleDelay(pool([slot('a')], { now: 10 }))).toBe(1000);
  });
});

describe('pool policy: lost conversations', () => {
  it('remembers conversations that had a digest or a key, the newest LOST_MEMORY of them', () => {
    expect(LOST_MEMORY).toBe(64);
    const before = [{ digest: 'x', key: null, tenant: 'anonymous' }];
    expect(rememberLost(before, [null, held({ digest: '', key: null, tenant: 'anonymous' })])).toBe(before);
    expect(rememberLost(before, [held({ digest: '', key: 'k', tenant: 'anonymous' }), held({ digest: 'y', key: 'z', tenant: 'anonymous' })])).toEqual([
      { digest: 'x', key: null, tenant: 'anonymous' },
      { digest: '', key: 'k', tenant: 'anonymous' },
      { digest: 'y', key: 'z', tenant: 'anonymous' },
    ]);
    const many = Array.from({ length: 70 }, (_, i) => held({ digest: `d${i}` }));
    const kept = rememberLost([], many);
    expect(kept).toHaveLength(64);
    expect(kept[0]).toEqual({ digest: 'd6', key: null, tenant: 'anonymous' });
  });
});

describe('pool policy: the holder of a conversation', () => {
  it('is found by digest of the messages before the new ones; the longest match wins', () => {
    const context = pool([used('short', { conversation: held({ digest: 'p1' }) }), used('long', { conversation: held({ digest: 'p2' }) })]);
    expect(findHolder(context, request(['p0', 'p1', 'p2', 'p3']))).toMatchObject({ slot: { id: 'long' }, newFrom: 2 });
    expect(findHolder(context, request(['p0', 'p1', 'p2']))).toMatchObject({ slot: { id: 'short' }, newFrom: 1 });
    expect(findHolder(context, request(['p0', 'q1']))).toBeNull();
    expect(findHolder(pool([used('a', { conversation: held({ digest: 'p0' }) })]), request(['p0', 'p1']))).toBeNull();
  });

  it('is found by the client’s key: new messages only, a resent history, or a diverged one', () => {
    const context = pool([used('a', { conversation: held({ key: 'k', digest: 'p2', messageCount: 2 }) })]);
    expect(findHolder(context, request(['p0', 'p1', 'p2', 'p3'], { key: 'k' }))).toMatchObject({ slot: { id: 'a' }, newFrom: 2 });
    expect(findHolder(context, request(['p0', 'x1'], { key: 'k' }))).toMatchObject({ newFrom: 0 });
    expect(findHolder(context, request(['p0', 'x1', 'x2', 'x3'], { key: 'k', hasAssistant: true }))).toMatchObject({ newFrom: null });
    expect(findHolder(context, request(['p0', 'p1', 'p2'], { key: 'k', hasAssistant: true }))).toMatchObject({ newFrom: null });
    expect(findHolder(context, request(['p0', 'p1', 'p2', 'p3'], { key: 'other' }))).toMatchObject({ slot: { id: 'a' }, newFrom: 2 });
  });
});

describe('pool policy: chooseRoute', () => {
  const isolated = (slots: PoolSlot[], over: Partial<PoolContext> = {}) => pool(slots, over);

  it('continues a conversation on the free accepting process that holds it', () => {
    const context = isolated([used('a', { conversation: held({ digest: 'p1' }) }), slot('b')]);
    expect(chooseRoute(context, [candidate('a'), candidate('b')], request(['p0', 'p1', 'p2']))).toEqual({
      kind: 'route',
      slotId: 'a',
      result: 'continued',
      newFrom: 1,
      isolated: true,
      lane: false,
    });
  });

  it('a stateful holder that is busy makes the turn wait; a stateless one is only a preference', () => {
    const busy = isolated([used('a', { conversation: held({ digest: 'p1' }) }), slot('b')]);
    expect(chooseRoute(busy, [candidate('a', { free: false }), candidate('b')], request(['p0', 'p1', 'p2']))).toEqual({ kind: 'wait', clean: false });
    const stateless = pool([used('a', { stateful: false, conversation: held({ digest: 'p1' }) }), used('b', { stateful: false, conversation: null })]);
    expect(chooseRoute(stateless, [candidate('a', { free: false }), candidate('b')], request(['p0', 'p1', 'p2']))).toEqual({
      kind: 'route',
      slotId: 'b',
      isolated: false,
      lane: false,
      result: 'lost',
      newFrom: 0,
    });
  });

  it('a new isolated conversation goes to the least loaded clean stateful process, or waits for one', () => {
    const context = isolated([used('a'), slot('b'), slot('c'), slot('d', { stateful: false })]);
    const candidates = [candidate('a'), candidate('b', { load: 2 }), candidate('c', { load: 1 }), candidate('d')];
    expect(chooseRoute(context, candidates, request(['n0', 'n1']))).toEqual({ kind: 'route', slotId: 'c', result: 'new', newFrom: 0, isolated: true, lane: false });
    expect(chooseRoute(isolated([used('a')]), [candidate('a')], request(['n0', 'n1']))).toEqual({ kind: 'wait', clean: true });
  });

  it('a turn of a lost conversation is counted lost and served whole', () => {
    const context = isolated([slot('b')], { lost: [{ digest: 'p1', key: null, tenant: 'anonymous' }] });
    expect(chooseRoute(context, [candidate('b')], request(['p0', 'p1', 'p2']))).toMatchObject({ slotId: 'b', result: 'lost', newFrom: 0 });
    const byKey = isolated([slot('b')], { lost: [{ digest: '', key: 'k', tenant: 'anonymous' }] });
    expect(chooseRoute(byKey, [candidate('b')], request(['p0', 'p1'], { key: 'k' }))).toMatchObject({ result: 'lost' });
    const emptyDigest = isolated([slot('b')], { lost: [{ digest: '', key: 'k', tenant: 'anonymous' }] });
    expect(chooseRoute(emptyDigest, [candidate('b')], request(['', 'p1']))).toMatchObject({ result: 'new' });
  });

  it('shared: the least loaded accepting process; spares only while fewer than `workers` used ones accept', () => {
    const shared = { policy: { workers: 1, standby: 1, isolation: 'shared' as const, sessionIdleMs: 1000, tenantIsolation: {}, maxProcesses: 1, memoryBudgetBytes: 2 ** 40, spawnConcurrency: 2 } };
    const context = pool([used('a', { stateful: false }), slot('spare', { stateful: false })], shared);
    expect(chooseRoute(context, [candidate('a', { load: 3 }), candidate('spare')], request(['n0', 'n1']))).toMatchObject({ slotId: 'a' });
    expect(chooseRoute(context, [candidate('a', { accepting: false }), candidate('spare')], request(['n0', 'n1']))).toMatchObject({ slotId: 'spare' });
    expect(chooseRoute(context, [candidate('a', { free: false }), candidate('spare', { accepting: false })], request(['n0', 'n1']))).toEqual({
      kind: 'wait',
      clean: false,
    });
  });

  it('ties go round the candidates from the given turn', () => {
    const shared = { policy: { workers: 2, standby: 0, isolation: 'shared' as const, sessionIdleMs: 1000, tenantIsolation: {}, maxProcesses: 1, memoryBudgetBytes: 2 ** 40, spawnConcurrency: 2 } };
    const context = pool([used('a', { stateful: false }), used('b', { stateful: false })], shared);
    const candidates = [candidate('a'), candidate('b')];
    expect(chooseRoute(context, candidates, request(['n0', 'n1']), 0)).toMatchObject({ slotId: 'a' });
    expect(chooseRoute(context, candidates, request(['n0', 'n1']), 1)).toMatchObject({ slotId: 'b' });
    expect(chooseRoute(context, candidates, request(['n0', 'n1']))).toMatchObject({ slotId: 'a' });
  });
});
