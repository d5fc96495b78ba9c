import { describe, expect, it } from 'vitest';
import { chooseRoute, needsSpare, nextIdleDelay, recycleVictim, routeChangesPool, spareCount, type RouteCandidate } from '../../../machines/policy/pool-policy.js';
import type { PoolContext, PoolSlot } from '../../../machines/pool-types.js';

const slot = (id: string, over: Partial<PoolSlot> = {}): PoolSlot => ({
  id, tag: 'accepting', run: 1, stateful: true, busy: false, usedRun: null, tenant: null, conversation: null, recycledRun: null, rssBytes: null, full: false, waitingSince: null, ...over,
});
const holding = (id: string, digest: string, lastUsedAt: number, over: Partial<PoolSlot> = {}) =>
  slot(id, { usedRun: 1, conversation: { digest, key: null, tenant: 'anonymous', lane: false, messageCount: 2, turns: 1, lastUsedAt }, ...over });
const pool = (slots: PoolSlot[], over: Partial<PoolContext> = {}): PoolContext => ({
  policy: { workers: 1, standby: 1, isolation: 'conversation', sessionIdleMs: 1000, tenantIsolation: {}, maxProcesses: 1, memoryBudgetBytes: 2 ** 40, spawnConcurrency: 2 }, slots, cleanWanted: 0, now: 0, idleCheckAt: 0,
  lost: [], laneTurns: [], arrivals: [], coldStartMs: 2000, nextSlot: 9, slotPrefix: 'w', ...over,
});
const free = (ids: string[]): RouteCandidate[] => ids.map((id) => ({ id, accepting: true, free: true, load: 0 }));
const request = (prefixDigests: string[], key: string | null = null, hasAssistant = true) => ({ prefixDigests, key, hasAssistant, tenant: 'anonymous' });

describe('pool policy', () => {
  it.each([
    ['a clean accepting process', slot('w1'), 1],
    ['a process on its way back (waiting)', slot('w1', { tag: 'waiting', usedRun: 1 }), 1],
    ['a used one whose recycle was asked', holding('w1', 'd', 0, { recycledRun: 1 }), 1],
    ['a process holding a conversation', holding('w1', 'd', 0), 0],
    ['an offline one', slot('w1', { tag: 'unavailable' }), 0],
  ])('spares: %s counts %i', (_, s, count) => {
    expect(spareCount(pool([s]))).toBe(count);
  });

  it('the victim is the idle conversation used least recently; a busy one is never recycled', () => {
    const context = pool([holding('w1', 'a', 50), holding('w2', 'b', 10, { busy: true }), holding('w3', 'c', 20)]);
    expect(recycleVictim(context)?.id).toBe('w3');
    expect(needsSpare(context)).toBe(true);
    expect(needsSpare(pool([holding('w1', 'a', 5), slot('w2')]))).toBe(false);
    expect(needsSpare(pool([holding('w1', 'a', 5), slot('w2')], { cleanWanted: 1 }))).toBe(true);
  });

  it.each([
    ['a new conversation on a clean process', slot('w1'), 'new', null, true],
    ['a lost one resumed on a clean process', slot('w1'), 'lost', null, true],
    ['a continuation on the process that holds it', holding('w1', 'd', 0), 'continued', null, false],
    ['a named continuation', holding('w1', 'd', 0), 'continued', 'k', false],
    ['a new unnamed conversation on a used process (shared)', holding('w1', 'd', 0), 'new', null, false],
    ['a new named conversation on a used process (the name moves)', holding('w1', 'd', 0), 'new', 'k', true],
    ['a used process of an earlier run, now clean again', holding('w1', 'd', 0, { run: 2 }), 'new', null, true],
  ] as const)('the pool learns of a route before its answer when it changes the pool: %s → %s', (_, s, result, key, told) => {
    expect(routeChangesPool(pool([s, slot('w2')]), 'w1', result, key)).toBe(told);
  });

  it('a route to a process the pool does not know changes nothing', () => {
    expect(routeChangesPool(pool([slot('w1')]), 'w9', 'new', 'k')).toBe(false);
  });

  it('the next idle check is due when the oldest idle conversation expires', () => {
    expect(nextIdleDelay(pool([holding('w1', 'a', 300), holding('w2', 'b', 100)], { now: 400 }))).toBe(700);
    expect(nextIdleDelay(pool([slot('w1')], { now: 400 }))).toBe(1000);
  });

  it.each([
    ['the longest matching prefix continues on its holder', ['r', 'x', 'd2', 'n'], null, { kind: 'route', slotId: 'w1', result: 'continued', newFrom: 2, isolated: true, lane: false }],
    ['an unknown history starts new on a clean process', ['r', 'x', 'y', 'n'], null, { kind: 'route', slotId: 'w2', result: 'new', newFrom: 0, isolated: true, lane: false }],
    ['a named conversation whose client sends only the new message continues', ['r', 'n'], 'k1', { kind: 'route', slotId: 'w1', result: 'continued', newFrom: 0, isolated: true, lane: false }],
    ['a named conversation whose resent history diverged is lost', ['r', 'x', 'other', 'n'], 'k1', { kind: 'route', slotId: 'w2', result: 'lost', newFrom: 0, isolated: true, lane: false }],
  ] as const)('%s', (_, digests, key, expected) => {
    const context = pool([slot('w1', { usedRun: 1, conversation: { digest: 'd2', key: 'k1', tenant: 'anonymous', lane: false, messageCount: 2, turns: 1, lastUsedAt: 0 } }), slot('w2')]);
    expect(chooseRoute(context, free(['w1', 'w2']), request([...digests], key, !(key && digests.length === 2)))).toEqual(expected);
  });

  it('a stateful holder that is busy makes its next turn wait; a stateless one is only a preference', () => {
    const context = pool([holding('w1', 'd', 0), slot('w2')]);
    const busy = [{ id: 'w1', accepting: true, free: false, load: 1 }, ...free(['w2'])];
    expect(chooseRoute(context, busy, request(['r', 'x', 'd', 'n']))).toEqual({ kind: 'wait', clean: false });
    const stateless = pool([holding('w1', 'd', 0, { stateful: false }), slot('w2', { stateful: false, usedRun: 1 })], { policy: { workers: 2, standby: 0, isolation: 'conversation', sessionIdleMs: 1, tenantIsolation: {}, maxProcesses: 1, memoryBudgetBytes: 2 ** 40, spawnConcurrency: 2 } });
    expect(chooseRoute(stateless, busy, request(['r', 'x', 'd', 'n']))).toMatchObject({ kind: 'route', slotId: 'w2' });
  });

  it('without a clean process a new conversation waits for one; stateless spares serve only below `workers` used', () => {
    expect(chooseRoute(pool([holding('w1', 'd', 0)]), free(['w1']), request(['r', 'n']))).toEqual({ kind: 'wait', clean: true });
    const stateless = pool([slot('w1', { stateful: false, usedRun: 1 }), slot('w2', { stateful: false })]);
    expect(chooseRoute(stateless, free(['w1', 'w2']), request(['r', 'n']))).toMatchObject({ slotId: 'w1' });
    expect(chooseRoute(stateless, [{ id: 'w1', accepting: false, free: true, load: 0 }, ...free(['w2'])], request(['r', 'n']))).toMatchObject({ slotId: 'w2' });
    expect(chooseRoute(stateless, [{ id: 'w1', accepting: true, free: false, load: 1 }, ...free(['w2'])], request(['r', 'n']))).toEqual({ kind: 'wait', clean: false });
  });
});
