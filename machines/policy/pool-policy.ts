import type { GoneConversation, PoolContext, PoolSlot, RouteResult } from '../pool-types.js';
import { isClean, isIsolated, isolationOf, tenantOf } from './pool-capacity.js';

// Where a request goes (docs/architecture.md#conversations-and-the-pool), as pure functions of the pool's context: to the process holding its
// conversation, to its tenant's lane, to a clean process, or to a used one of its tenant (shared).

export { idleSlots, isClean, isIsolated, needsSpare, nextIdleDelay, recycleVictim, spareCount } from './pool-capacity.js';

/** A process as the router sees it at the moment of choosing (load counted by the facade). */
export interface RouteCandidate {
  id: string;
  accepting: boolean;
  /** It has a free slot below its max_concurrency. */
  free: boolean;
  load: number;
}

export interface RouteRequest {
  /** prefixDigests[k] is the digest of the request's first k messages (k = 0 … messages.length). */
  prefixDigests: readonly string[];
  /** The conversation's name from the client (prompt_cache_key or X-Session-Id), within its tenant. */
  key: string | null;
  /** The request carries an assistant message (it resends a history). */
  hasAssistant: boolean;
  /** Whose request it is (the API key's name; 'anonymous' without keys). */
  tenant: string;
}

export type RouteDecision =
  | {
      kind: 'route';
      slotId: string;
      result: RouteResult;
      /** messages from this index are new to the process */
      newFrom: number;
      /** The process holds this conversation alone: it is sent as a turn (delta when continued). */
      isolated: boolean;
      /** A first turn answered on the tenant's lane (the whole request, no conversation kept). */
      lane: boolean;
    }
  | { kind: 'wait'; /** the request waits for a clean process (the pool should make one) */ clean: boolean };

interface Holder {
  slot: PoolSlot;
  /** Index of the first message new to the holder; null when the client's history diverged. */
  newFrom: number | null;
}

// The process holding the request's conversation, among its tenant's: named by the client's key, or
// found by the digest of the request's messages minus the trailing new ones (the longest match wins).
// A lane holds no one conversation and is never a holder.
export function findHolder(context: PoolContext, request: RouteRequest): Holder | null {
  const messages = request.prefixDigests.length - 1;
  let best: Holder | null = null;
  for (const slot of context.slots) {
    const conversation = slot.conversation;
    if (!conversation || conversation.lane || conversation.tenant !== request.tenant) continue;
    if (request.key !== null && conversation.key === request.key) {
      const matches = request.prefixDigests[conversation.messageCount] === conversation.digest && conversation.messageCount < messages;
      // A named conversation whose client sends only the new messages continues as it is.
      return { slot, newFrom: matches ? conversation.messageCount : request.hasAssistant ? null : 0 };
    }
    const k = request.prefixDigests.indexOf(conversation.digest);
    if (k >= 1 && k < messages && (!best || k > (best.newFrom ?? 0))) best = { slot, newFrom: k };
  }
  return best;
}

/** How many lost conversations (and lane first turns) the pool remembers. */
export const LOST_MEMORY = 64;

/** The list with these conversations added (oldest dropped past LOST_MEMORY). */
export function rememberLost(lost: GoneConversation[], gone: Array<PoolSlot['conversation']>): GoneConversation[] {
  const added = gone.filter((c): c is NonNullable<typeof c> => c !== null && !c.lane && (c.digest !== '' || c.key !== null));
  if (added.length === 0) return lost;
  return [...lost, ...added.map((c) => ({ digest: c.digest, key: c.key, tenant: c.tenant }))].slice(-LOST_MEMORY);
}

const seenIn = (list: GoneConversation[], request: RouteRequest): boolean =>
  list.some(
    (gone) => gone.tenant === request.tenant && ((request.key !== null && gone.key === request.key) || (gone.digest !== '' && request.prefixDigests.includes(gone.digest))),
  );

function leastLoaded(candidates: RouteCandidate[], allowed: (c: RouteCandidate) => boolean, turn: number): RouteCandidate | null {
  let best: RouteCandidate | null = null;
  for (let i = 0; i < candidates.length; i++) {
    const candidate = candidates[(turn + i) % candidates.length]!;
    if (!candidate.accepting || !candidate.free || !allowed(candidate)) continue;
    if (!best || candidate.load < best.load) best = candidate;
  }
  return best;
}

// Whether the pool must learn of a route before its answer: when it makes a clean process used, or
// moves a conversation the client named. A continuation, or a new unnamed conversation on a process
// already used, changes nothing the pool decides until the answer says what the process now holds
// (conversations.answered), and the process is busy meanwhile.
export function routeChangesPool(context: PoolContext, slotId: string, result: RouteResult, key: string | null): boolean {
  const slot = context.slots.find((s) => s.id === slotId);
  return slot !== undefined && (isClean(slot) || (result !== 'continued' && key !== null));
}

// Where a request goes (docs/architecture.md#conversations-and-the-pool): to the process holding its conversation; otherwise, for isolated
// stateful workers, to a clean process (waiting for one if none is ready) — or, in tenant mode, a
// first turn without a name to its tenant's lane; otherwise (shared) to the least loaded accepting
// process of its tenant, clean ones only while fewer than `workers` of its tenant's accept. A process
// holding another tenant's words is never chosen.
export function chooseRoute(context: PoolContext, candidates: RouteCandidate[], request: RouteRequest, turn = 0): RouteDecision {
  const slots = new Map(context.slots.map((slot) => [slot.id, slot]));
  const slotOf = (candidate: RouteCandidate) => slots.get(candidate.id);
  const holder = findHolder(context, request);
  const holderCandidate = holder ? candidates.find((c) => c.id === holder.slot.id) : undefined;
  const stateful = context.slots.some((slot) => slot.stateful);
  const isolation = isolationOf(context, request.tenant);
  const isolated = holder ? isIsolated(context, holder.slot) : stateful && isolation !== 'shared';

  if (holder && holder.newFrom !== null && holderCandidate?.accepting) {
    if (holderCandidate.free) return { kind: 'route', slotId: holder.slot.id, result: 'continued', newFrom: holder.newFrom, isolated, lane: false };
    // A stateful process finishes the conversation's earlier turn first; a stateless one is a preference.
    if (isolated) return { kind: 'wait', clean: false };
  }
  const result: RouteResult = holder || seenIn(context.lost, request) ? 'lost' : seenIn(context.laneTurns, request) ? 'moved' : 'new';
  const cleanStateful = (c: RouteCandidate) => {
    const slot = slotOf(c);
    return slot !== undefined && isClean(slot) && slot.stateful;
  };

  if (isolated) {
    if (isolation === 'tenant' && result === 'new' && request.key === null) {
      const lane = leastLoaded(candidates, (c) => {
        const slot = slotOf(c);
        return slot !== undefined && slot.conversation?.lane === true && tenantOf(slot) === request.tenant && !slot.full && slot.recycledRun !== slot.run;
      }, turn);
      const chosen = lane ?? leastLoaded(candidates, cleanStateful, turn);
      return chosen ? { kind: 'route', slotId: chosen.id, result, newFrom: 0, isolated: false, lane: true } : { kind: 'wait', clean: true };
    }
    const clean = leastLoaded(candidates, cleanStateful, turn);
    return clean ? { kind: 'route', slotId: clean.id, result, newFrom: 0, isolated: true, lane: false } : { kind: 'wait', clean: true };
  }

  // Shared: a stateful process serves one tenant from its first request until it restarts.
  const mine = (slot: PoolSlot) => !slot.stateful || tenantOf(slot) === request.tenant;
  const usedAccepting = candidates.filter((c) => c.accepting && !isClean(slotOf(c)!) && mine(slotOf(c)!)).length;
  const chosen = leastLoaded(candidates, (c) => {
    const slot = slotOf(c)!;
    return isClean(slot) ? usedAccepting < context.policy.workers : mine(slot);
  }, turn);
  if (chosen) return { kind: 'route', slotId: chosen.id, result, newFrom: 0, isolated: false, lane: false };
  const tenantHasOne = context.slots.some((slot) => !isClean(slot) && mine(slot) && slot.tag !== 'unavailable');
  return { kind: 'wait', clean: stateful && !tenantHasOne };
}
