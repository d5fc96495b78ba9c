import { describe, expect, it } from 'vitest';
import {
  ARRIVAL_MEMORY,
  ARRIVAL_WINDOW_MS,
  DEFAULT_PROCESS_BYTES,
  excessSpare,
  floorCount,
  fullLane,
  idleOutcome,
  idleSlots,
  isIsolated,
  isolationOf,
  mayGrow,
  mayStart,
  memoryInUse,
  needsSpare,
  overBudgetVictim,
  processEstimate,
  recentArrivals,
  recycleVictim,
  rememberArrival,
  smoothColdStart,
  spareCount,
  sparesWanted,
  spawnWanted,
  startingCount,
  tenantOf,
} from '../../../machines/policy/pool-capacity.js';
import type { HeldConversation, PoolContext, PoolPolicy, PoolSlot } from '../../../machines/pool-types.js';

const MB = 1024 * 1024;
const slot = (id: string, over: Partial<PoolSlot> = {}): PoolSlot => ({
  id, tag: 'accepting', run: 1, stateful: true, busy: false, usedRun: null, tenant: null, conversation: null, recycledRun: null, rssBytes: 100 * MB, full: false, waitingSince: null, ...over,
});
const held = (over: Partial<HeldConversation> = {}): HeldConversation => ({ digest: 'd', key: null, tenant: 'anonymous', lane: false, messageCount: 2, turns: 1, lastUsedAt: 10, ...over });
const used = (id: string, lastUsedAt: number, over: Partial<PoolSlot> = {}) => slot(id, { usedRun: 1, tenant: 'anonymous', conversation: held({ lastUsedAt }), ...over });
const pool = (slots: PoolSlot[], policy: Partial<PoolPolicy> = {}, over: Partial<PoolContext> = {}): PoolContext => ({
  policy: { workers: 1, standby: 0, isolation: 'conversation', tenantIsolation: {}, sessionIdleMs: 1000, maxProcesses: 10, memoryBudgetBytes: 1000 * MB, spawnConcurrency: 2, ...policy },
  slots, cleanWanted: 0, now: 100_000, idleCheckAt: 0, lost: [], laneTurns: [], arrivals: [], coldStartMs: 2000, nextSlot: 9, slotPrefix: 'w', ...over,
});

describe('pool capacity: memory', () => {
  it('a process not measured yet counts as the mean of those measured, or the default before any', () => {
    expect(processEstimate(pool([slot('a', { rssBytes: 100 * MB }), slot('b', { rssBytes: 300 * MB }), slot('c', { rssBytes: null })]))).toBe(200 * MB);
    expect(processEstimate(pool([slot('a', { rssBytes: null })]))).toBe(DEFAULT_PROCESS_BYTES);
    expect(memoryInUse(pool([slot('a', { rssBytes: 100 * MB }), slot('b', { rssBytes: 300 * MB }), slot('c', { rssBytes: null })]))).toBe(600 * MB);
    expect(memoryInUse(pool([]))).toBe(0);
  });

  it.each([
    ['room in budget and cap', 300, 10, true],
    ['exactly at the budget with one more', 200, 10, true],
    ['one more would pass the budget', 199, 10, false],
    ['at the process cap', 1000, 1, false],
  ])('may grow: %s → %s', (_, budgetMb, maxProcesses, expected) => {
    expect(mayGrow(pool([slot('a')], { memoryBudgetBytes: budgetMb * MB, maxProcesses }))).toBe(expected);
  });

  it('over budget above the floor: a clean idle spare goes first, then the least recently used idle isolated conversation', () => {
    const tight = { memoryBudgetBytes: 250 * MB, workers: 1, standby: 0 };
    expect(overBudgetVictim(pool([used('a', 5), slot('b'), used('c', 1)], tight))?.id).toBe('b');
    expect(overBudgetVictim(pool([used('a', 5), used('b', 9), used('c', 1, { busy: true })], tight))?.id).toBe('a');
    expect(overBudgetVictim(pool([used('a', 5), used('b', 9)], { ...tight, workers: 2 }))).toBeNull();
    expect(overBudgetVictim(pool([used('a', 5), used('b', 9)], { ...tight, memoryBudgetBytes: 200 * MB }))).toBeNull();
    expect(overBudgetVictim(pool([used('a', 5, { tag: 'waiting' }), used('b', 9, { busy: true })], tight))).toBeNull();
    expect(overBudgetVictim(pool([used('a', 5), used('b', 9)], { ...tight, isolation: 'shared' }))).toBeNull();
  });
});

describe('pool capacity: spares and starts', () => {
  it('spares wanted: the standby, or as many as arrive in one cold start, plus the requests waiting', () => {
    const now = 100_000;
    const arrivals = (n: number) => Array.from({ length: n }, (_, i) => now - i);
    expect(sparesWanted(pool([], { standby: 1 }))).toBe(1);
    expect(sparesWanted(pool([], { standby: 1 }, { arrivals: arrivals(45) }))).toBe(2);
    expect(sparesWanted(pool([], { standby: 0 }, { arrivals: arrivals(15) }))).toBe(1);
    expect(sparesWanted(pool([], { standby: 0 }, { arrivals: arrivals(14) }))).toBe(0);
    expect(sparesWanted(pool([], { standby: 1 }, { cleanWanted: 2 }))).toBe(3);
    expect(recentArrivals(pool([], {}, { arrivals: [now - ARRIVAL_WINDOW_MS, now - ARRIVAL_WINDOW_MS + 1, now] }))).toBe(2);
  });

  it('arrivals remembered: those in the window, at most ARRIVAL_MEMORY', () => {
    expect(rememberArrival([1, 50_000, 70_000], 100_000)).toEqual([50_000, 70_000, 100_000]);
    expect(rememberArrival([40_000], 100_000)).toEqual([100_000]);
    const many = Array.from({ length: ARRIVAL_MEMORY }, (_, i) => 100_000 + i);
    expect(rememberArrival(many, 100_300)).toHaveLength(ARRIVAL_MEMORY);
    expect(rememberArrival(many, 100_300)[0]).toBe(100_001);
    expect(rememberArrival(many, 100_300).at(-1)).toBe(100_300);
  });

  it('a spawn is wanted below the floor or short of spares, within concurrency, cap and budget', () => {
    expect(floorCount(pool([], { workers: 2, standby: 1 }))).toBe(3);
    expect(spawnWanted(pool([slot('a')], { workers: 2 }))).toBe(true);
    expect(spawnWanted(pool([used('a', 1)], { standby: 1, workers: 0 }))).toBe(true);
    expect(spawnWanted(pool([used('a', 1), slot('b')], { standby: 1 }))).toBe(false);
    expect(spawnWanted(pool([used('a', 1)], { standby: 0 }, { cleanWanted: 1 }))).toBe(true);
    expect(spawnWanted(pool([used('a', 1), slot('b', { tag: 'waiting' }), slot('c', { tag: 'waiting' })], { standby: 0 }, { cleanWanted: 3 }))).toBe(false);
    expect(spawnWanted(pool([used('a', 1)], { standby: 1, maxProcesses: 1 }))).toBe(false);
    expect(spawnWanted(pool([used('a', 1)], { standby: 1, memoryBudgetBytes: 150 * MB }))).toBe(false);
  });

  it('starts in progress are the waiting processes; another may start below the spawn concurrency', () => {
    const context = pool([slot('a', { tag: 'waiting' }), slot('b'), slot('c', { tag: 'unavailable' })], { spawnConcurrency: 2 });
    expect(startingCount(context)).toBe(1);
    expect(mayStart(context)).toBe(true);
    expect(mayStart({ ...context, policy: { ...context.policy, spawnConcurrency: 1 } })).toBe(false);
    // A recycle asked of this run is a start already (the process has not heard it yet); one of an earlier run is not.
    const recycling = pool([slot('a', { usedRun: 1, recycledRun: 1 }), slot('b', { run: 2, usedRun: 1, recycledRun: 1 }), slot('c', { tag: 'unavailable', recycledRun: 1 })]);
    expect(startingCount(recycling)).toBe(1);
  });

  it('the least recently used idle conversation is recycled only when no new process fits and a start may begin', () => {
    const full = pool([used('a', 5), used('b', 1), used('c', 0, { busy: true })], { standby: 1, maxProcesses: 3 });
    expect(recycleVictim(full)?.id).toBe('b');
    expect(needsSpare(full)).toBe(true);
    expect(needsSpare({ ...full, policy: { ...full.policy, maxProcesses: 4 } })).toBe(false);
    expect(needsSpare({ ...full, policy: { ...full.policy, spawnConcurrency: 0 } })).toBe(false);
    expect(needsSpare({ ...full, policy: { ...full.policy, standby: 0 } })).toBe(false);
    expect(needsSpare(pool([used('a', 5, { busy: true })], { standby: 1, maxProcesses: 1 }))).toBe(false);
  });

  it('shared: another tenant’s idle process may be taken only while a request waits for a clean one', () => {
    const shared = pool([used('a', 5, { tenant: 'alice' })], { isolation: 'shared', standby: 0, maxProcesses: 1 });
    expect(recycleVictim(shared)).toBeNull();
    expect(recycleVictim({ ...shared, cleanWanted: 1 })?.id).toBe('a');
    expect(recycleVictim({ ...shared, cleanWanted: 1, slots: [used('a', 5, { stateful: false })] })).toBeNull();
  });

  it('a spare in excess, above the floor and with none waiting, is stopped: the newest clean idle one', () => {
    const context = pool([used('a', 1), slot('b'), slot('c'), slot('d', { busy: true })], { workers: 1, standby: 1 });
    expect(excessSpare(context)?.id).toBe('c');
    expect(excessSpare({ ...context, cleanWanted: 1 })).toBeNull();
    expect(excessSpare(pool([used('a', 1), slot('b')], { workers: 1, standby: 1 }))).toBeNull();
    expect(excessSpare(pool([used('a', 1), slot('b'), slot('c')], { workers: 1, standby: 2 }))).toBeNull();
    expect(excessSpare(pool([used('a', 1), slot('b', { tag: 'waiting' }), slot('c', { tag: 'waiting' })], { workers: 1, standby: 0 }))).toBeNull();
  });

  it('only ready spares count as too many: one still starting never has a ready one stopped in its favour', () => {
    const restarting = pool([used('a', 1), used('b', 1), slot('c', { tag: 'waiting' }), slot('d')], { workers: 1, standby: 1 });
    expect(spareCount(restarting)).toBe(2);
    expect(excessSpare(restarting)).toBeNull();
    const ready = pool([used('a', 1), slot('b'), slot('c', { tag: 'waiting' }), slot('d')], { workers: 1, standby: 1 });
    expect(excessSpare(ready)?.id).toBe('d');
    // While a request waits for a clean process, no spare is stopped, however many are ready.
    const many = pool([used('a', 1), slot('b'), slot('c'), slot('d')], { workers: 1, standby: 1 });
    expect(excessSpare(many)?.id).toBe('d');
    expect(excessSpare({ ...many, cleanWanted: 1 })).toBeNull();
    // A spare whose recycle was asked is on its way, not ready.
    expect(excessSpare(pool([used('a', 1), used('b', 1), slot('c', { usedRun: 1, recycledRun: 1 }), slot('d')], { workers: 1, standby: 1 }))).toBeNull();
  });

  it('the cold start is smoothed with a quarter of weight to the newest', () => {
    expect(smoothColdStart(2000, 1000)).toBe(1750);
    expect(smoothColdStart(1000, 1001)).toBe(1000);
  });
});

describe('pool capacity: tenants, lanes and idle conversations', () => {
  it('a process holds its tenant’s words while used; clean, it holds none', () => {
    expect(tenantOf(used('a', 1, { tenant: 'alice' }))).toBe('alice');
    expect(tenantOf(slot('a', { tenant: 'alice' }))).toBeNull();
    const context = pool([], { isolation: 'conversation', tenantIsolation: { bob: 'shared' } });
    expect(isolationOf(context, 'bob')).toBe('shared');
    expect(isolationOf(context, 'alice')).toBe('conversation');
    expect(isolationOf(context, null)).toBe('conversation');
    expect(isIsolated(context, used('a', 1, { tenant: 'bob' }))).toBe(false);
    expect(isIsolated(context, used('a', 1, { tenant: 'alice' }))).toBe(true);
    expect(isIsolated(context, used('a', 1, { stateful: false }))).toBe(false);
  });

  it('a full lane with nothing in flight is recycled; not a busy one, not a conversation, not one already recycled', () => {
    const lane = (over: Partial<PoolSlot> = {}) => used('l', 1, { full: true, conversation: held({ lane: true, digest: '' }), ...over });
    expect(fullLane(pool([lane()]))?.id).toBe('l');
    expect(fullLane(pool([lane({ busy: true })]))).toBeNull();
    expect(fullLane(pool([lane({ full: false })]))).toBeNull();
    expect(fullLane(pool([lane({ recycledRun: 1 })]))).toBeNull();
    expect(fullLane(pool([lane({ tag: 'waiting' })]))).toBeNull();
    expect(fullLane(pool([used('c', 1, { full: true })]))).toBeNull();
  });

  it('idle conversations, least recently used first', () => {
    const context = pool([used('a', 500), used('b', 100), used('c', 0, { busy: true }), slot('d')]);
    expect(idleSlots(context, 1500).map((s) => s.id)).toEqual(['b', 'a']);
    expect(idleSlots(context, 1100).map((s) => s.id)).toEqual(['b']);
  });

  it.each([
    ['above the floor with the spares wanted: stopped', used('a', 1), 3, 1, 'retire'],
    ['at the floor: recycled', used('a', 1), 1, 1, 'recycle'],
    ['short of spares: recycled', used('a', 1), 3, 0, 'recycle'],
    ['shared: forgotten', used('a', 1, { stateful: false }), 3, 1, 'forget'],
    ['not accepting: forgotten', used('a', 1, { tag: 'waiting' }), 3, 1, 'forget'],
  ] as const)('an idled-out conversation’s process %s', (_, s, slots, spares, outcome) => {
    expect(idleOutcome(pool([s], { workers: 1, standby: 1 }), s, slots, spares)).toBe(outcome);
  });

  it('spares: clean accepting ones and those on their way back', () => {
    expect(spareCount(pool([slot('a'), slot('b', { tag: 'waiting' }), used('c', 1), used('d', 1, { recycledRun: 1 }), slot('e', { tag: 'unavailable' })]))).toBe(3);
  });
});
