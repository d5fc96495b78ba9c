import { describe, expect, it } from 'vitest';
import { chooseRoute, findHolder } from '../../../machines/policy/pool-policy.js';
import type { RouteCandidate, RouteRequest } from '../../../machines/policy/pool-policy.js';
import type { HeldConversation, Isolation, PoolContext, PoolSlot } from '../../../machines/pool-types.js';

// Routing across tenants, lanes and holders: the decisions a wrong comparison would turn into another
// tenant's words, a lost lane or a request waiting for nothing.

const slot = (id: string, over: Partial<PoolSlot> = {}): PoolSlot => ({
  id, tag: 'accepting', run: 1, stateful: true, busy: false, usedRun: null, tenant: null, conversation: null, recycledRun: null, rssBytes: null, full: false, waitingSince: null, ...over,
});
const held = (over: Partial<HeldConversation> = {}): HeldConversation => ({ digest: 'd2', key: null, tenant: 'alice', lane: false, messageCount: 2, turns: 1, lastUsedAt: 100, ...over });
/** A process of `tenant` that served its current run, holding a conversation (or a lane). */
const usedBy = (id: string, tenant: string, conversation: Partial<HeldConversation> = {}, over: Partial<PoolSlot> = {}) =>
  slot(id, { usedRun: 1, tenant, conversation: held({ tenant, ...conversation }), ...over });
const lane = (id: string, tenant: string, over: Partial<PoolSlot> = {}) => usedBy(id, tenant, { lane: true, digest: '', messageCount: 0 }, over);
const pool = (isolation: Isolation, slots: PoolSlot[], over: Partial<PoolContext> = {}): PoolContext => ({
  policy: { workers: 1, standby: 1, isolation, sessionIdleMs: 1000, tenantIsolation: {}, maxProcesses: 8, memoryBudgetBytes: 2 ** 40, spawnConcurrency: 2 },
  slots, cleanWanted: 0, now: 0, idleCheckAt: 0, lost: [], laneTurns: [], arrivals: [], coldStartMs: 2000, nextSlot: 9, slotPrefix: 'w', ...over,
});
const candidate = (id: string, over: Partial<RouteCandidate> = {}): RouteCandidate => ({ id, accepting: true, free: true, load: 0, ...over });
const request = (prefixDigests: string[], over: Partial<RouteRequest> = {}): RouteRequest => ({ prefixDigests, key: null, hasAssistant: false, tenant: 'alice', ...over });

describe('pool policy: the holder among tenants and lanes', () => {
  it('another tenant’s conversation and a lane are never the holder, even when their digest matches', () => {
    const context = pool('conversation', [usedBy('bob', 'bob', { digest: 'p1', key: 'k' }), lane('lane', 'alice', { conversation: held({ lane: true, digest: 'p1' }) })]);
    expect(findHolder(context, request(['p0', 'p1', 'p2']))).toBeNull();
    expect(findHolder(context, request(['p0', 'p1', 'p2'], { key: 'k' }))).toBeNull();
  });

  it('a named request is held by the process with its key, not by the first of its tenant', () => {
    const context = pool('conversation', [usedBy('other', 'alice', { key: 'x', digest: 'zz' }), usedBy('mine', 'alice', { key: 'k', digest: 'p2' })]);
    expect(findHolder(context, request(['p0', 'p1', 'p2', 'p3'], { key: 'k' }))).toMatchObject({ slot: { id: 'mine' }, newFrom: 2 });
  });

  it('an unnamed request is not held by an unnamed conversation whose digest it does not carry', () => {
    const context = pool('conversation', [usedBy('a', 'alice', { key: null, digest: 'zz', messageCount: 1 })]);
    expect(findHolder(context, request(['p0', 'zz-not', 'p2']))).toBeNull();
  });

  it('the longest match wins whatever the order of the processes; of equal matches the first is kept', () => {
    const context = pool('conversation', [usedBy('long', 'alice', { digest: 'p2' }), usedBy('short', 'alice', { digest: 'p1' }), usedBy('twin', 'alice', { digest: 'p2' })]);
    expect(findHolder(context, request(['p0', 'p1', 'p2', 'p3']))).toMatchObject({ slot: { id: 'long' }, newFrom: 2 });
  });
});

describe('pool policy: lost and moved conversations by tenant', () => {
  it('a conversation lost by another tenant, or an unnamed one the request does not carry, is not this request’s', () => {
    const context = pool('conversation', [slot('clean')], {
      lost: [{ digest: 'p1', key: 'k', tenant: 'bob' }, { digest: 'zz', key: null, tenant: 'alice' }],
    });
    expect(chooseRoute(context, [candidate('clean')], request(['p0', 'p1', 'p2']))).toMatchObject({ result: 'new' });
    expect(chooseRoute(context, [candidate('clean')], request(['p0', 'p1', 'p2'], { key: 'k' }))).toMatchObject({ result: 'new' });
    expect(chooseRoute(context, [candidate('clean')], request(['p0', 'zz', 'p2']))).toMatchObject({ result: 'lost' });
  });

  it('a holder that is not among the candidates (restarting) leaves its conversation lost, served whole on a clean process', () => {
    const context = pool('conversation', [usedBy('holder', 'alice', { digest: 'p1' }, { tag: 'waiting' }), slot('clean')]);
    expect(chooseRoute(context, [candidate('clean')], request(['p0', 'p1', 'p2']))).toEqual({ kind: 'route', slotId: 'clean', result: 'lost', newFrom: 0, isolated: true, lane: false });
  });

  it('with no process accepting yet, a new conversation waits for a clean one', () => {
    expect(chooseRoute(pool('conversation', [slot('starting', { tag: 'waiting' })]), [], request(['n0', 'n1']))).toEqual({ kind: 'wait', clean: true });
  });

  it('a candidate the pool does not know (already retired) is never chosen', () => {
    const context = pool('conversation', [slot('clean')]);
    expect(chooseRoute(context, [candidate('gone'), candidate('clean', { load: 3 })], request(['n0', 'n1']))).toMatchObject({ kind: 'route', slotId: 'clean' });
    const tenant = pool('tenant', [slot('clean')]);
    expect(chooseRoute(tenant, [candidate('gone'), candidate('clean', { load: 3 })], request(['n0', 'n1']))).toMatchObject({ kind: 'route', slotId: 'clean', lane: true });
  });
});

describe('pool policy: the tenant lane', () => {
  const lanes = [
    lane('bob-lane', 'bob'),
    lane('full-lane', 'alice', { full: true }),
    lane('recycling-lane', 'alice', { recycledRun: 1 }),
    usedBy('alice-conversation', 'alice', { digest: 'zz' }),
    slot('clean'),
    lane('alice-lane', 'alice'),
  ];
  const candidates = [candidate('bob-lane'), candidate('full-lane'), candidate('recycling-lane'), candidate('alice-conversation'), candidate('clean'), candidate('alice-lane', { load: 4 })];

  it('an unnamed first turn goes to its tenant’s lane, not another tenant’s, a full one or one being recycled, nor a clean process', () => {
    expect(chooseRoute(pool('tenant', lanes), candidates, request(['n0', 'n1']))).toEqual({ kind: 'route', slotId: 'alice-lane', result: 'new', newFrom: 0, isolated: false, lane: true });
  });

  it('a tenant with its own isolation `tenant` gets a lane while the pool isolates conversations', () => {
    const context = pool('conversation', lanes, { policy: { ...pool('conversation', []).policy, tenantIsolation: { alice: 'tenant' } } });
    expect(chooseRoute(context, candidates, request(['n0', 'n1']))).toMatchObject({ slotId: 'alice-lane', lane: true });
    expect(chooseRoute(context, candidates, request(['n0', 'n1'], { tenant: 'carol' }))).toMatchObject({ slotId: 'clean', lane: false, isolated: true });
  });

  it('without a lane of its tenant, the first turn opens one on the least loaded clean process, or waits for one', () => {
    const context = pool('tenant', [lane('bob-lane', 'bob'), slot('busy-clean'), slot('clean')]);
    expect(chooseRoute(context, [candidate('bob-lane'), candidate('busy-clean', { load: 2 }), candidate('clean', { load: 1 })], request(['n0', 'n1']))).toEqual({
      kind: 'route', slotId: 'clean', result: 'new', newFrom: 0, isolated: false, lane: true,
    });
    expect(chooseRoute(context, [candidate('bob-lane')], request(['n0', 'n1']))).toEqual({ kind: 'wait', clean: true });
  });

  it('a named first turn gets a process of its own, not the lane', () => {
    expect(chooseRoute(pool('tenant', lanes), candidates, request(['n0', 'n1'], { key: 'k' }))).toEqual({ kind: 'route', slotId: 'clean', result: 'new', newFrom: 0, isolated: true, lane: false });
  });

  it('the second turn of a conversation begun on the lane moves to a process of its own', () => {
    const context = pool('tenant', lanes, { laneTurns: [{ digest: 'p1', key: null, tenant: 'alice' }] });
    expect(chooseRoute(context, candidates, request(['p0', 'p1', 'p2']))).toEqual({ kind: 'route', slotId: 'clean', result: 'moved', newFrom: 0, isolated: true, lane: false });
  });

  it('in conversation isolation, an unnamed first turn gets a process of its own', () => {
    expect(chooseRoute(pool('conversation', lanes), candidates, request(['n0', 'n1']))).toMatchObject({ slotId: 'clean', lane: false, isolated: true });
  });
});

describe('pool policy: shared stateful processes serve one tenant', () => {
  it('a clean process is taken while the tenant has no used process, even if another tenant’s is idle', () => {
    const context = pool('shared', [usedBy('bob', 'bob'), slot('clean')]);
    expect(chooseRoute(context, [candidate('bob'), candidate('clean', { load: 1 })], request(['n0', 'n1']))).toEqual({ kind: 'route', slotId: 'clean', result: 'new', newFrom: 0, isolated: false, lane: false });
  });

  it.each([
    ['its own process is busy: it waits for it, not for a clean one', [usedBy('mine', 'alice'), usedBy('bob', 'bob')], [candidate('mine', { free: false })], false],
    ['only another tenant’s process exists: it waits for a clean one', [usedBy('bob', 'bob')], [candidate('bob')], true],
    ['its own process is offline: it waits for a clean one', [usedBy('mine', 'alice', {}, { tag: 'unavailable' })], [], true],
    ['only a clean process that is full: it waits for a clean one', [slot('clean')], [candidate('clean', { free: false })], true],
  ])('when %s', (_, slots, candidates, clean) => {
    expect(chooseRoute(pool('shared', slots), candidates, request(['n0', 'n1']))).toEqual({ kind: 'wait', clean });
  });

  it('stateless processes never make a request wait for a clean one', () => {
    expect(chooseRoute(pool('shared', [slot('a', { stateful: false })]), [candidate('a', { free: false })], request(['n0', 'n1']))).toEqual({ kind: 'wait', clean: false });
  });
});
