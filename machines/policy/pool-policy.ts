import type { PoolContext, PoolSlot, RouteResult } from '../pool-types.js';

// The pool's policy (SPEC §6) as pure functions of its context: which processes are spares, which
// one to recycle, when conversations idle out, and where a request goes.

/** A process that has served nothing in its current run. */
export const isClean = (slot: PoolSlot): boolean => slot.usedRun !== slot.run;

/** Conversations are isolated only where the workers hold them (stateful) and isolation is on. */
export const isIsolated = (context: PoolContext, slot: PoolSlot): boolean => context.policy.isolation === 'isolated' && slot.stateful;

// A spare is a clean process that accepts, or any process on its way back (every `waiting` state
// ends in a fresh run), or one whose recycle was already asked for.
const isSpare = (slot: PoolSlot): boolean =>
  slot.tag === 'waiting' || (slot.tag === 'accepting' && (isClean(slot) || slot.recycledRun === slot.run));

export const spareCount = (context: PoolContext): number => context.slots.filter(isSpare).length;

/** The idle process to recycle when a clean one is needed: the least recently used conversation. */
export function recycleVictim(context: PoolContext): PoolSlot | null {
  let victim: PoolSlot | null = null;
  for (const slot of context.slots) {
    if (slot.tag !== 'accepting' || isSpare(slot) || slot.busy || !isIsolated(context, slot)) continue;
    const used = slot.conversation?.lastUsedAt ?? Number.NEGATIVE_INFINITY;
    if (!victim || used < (victim.conversation?.lastUsedAt ?? Number.NEGATIVE_INFINITY)) victim = slot;
  }
  return victim;
}

/** Fewer spares than the standby count plus the requests that wait for a clean one. */
export const needsSpare = (context: PoolContext): boolean =>
  spareCount(context) < context.policy.standby + context.cleanWanted && recycleVictim(context) !== null;

const idleSince = (slot: PoolSlot): number | null => (slot.conversation && !slot.busy ? slot.conversation.lastUsedAt : null);

/** Conversations idle for session_idle_ms at `at` (a request in flight keeps its conversation). */
export const idleSlots = (context: PoolContext, at: number): PoolSlot[] =>
  context.slots.filter((slot) => {
    const since = idleSince(slot);
    return since !== null && since + context.policy.sessionIdleMs <= at;
  });

/** Milliseconds from `now` until the next conversation idles out (session_idle_ms when none is held). */
export function nextIdleDelay(context: PoolContext): number {
  let next = Number.POSITIVE_INFINITY;
  for (const slot of context.slots) {
    const since = idleSince(slot);
    if (since !== null) next = Math.min(next, since + context.policy.sessionIdleMs);
  }
  return Number.isFinite(next) ? Math.max(0, next - context.now) : context.policy.sessionIdleMs;
}

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
  /** The conversation's name from the client (prompt_cache_key or X-Session-Id). */
  key: string | null;
  /** The request carries an assistant message (it resends a history). */
  hasAssistant: boolean;
}

export type RouteDecision =
  | { kind: 'route'; slotId: string; result: RouteResult; /** messages from this index are new to the process */ newFrom: number }
  | { kind: 'wait'; /** the request waits for a clean process (the pool should make one) */ clean: boolean };

interface Holder {
  slot: PoolSlot;
  /** Index of the first message new to the holder; null when the client's history diverged. */
  newFrom: number | null;
}

// The process holding the request's conversation: named by the client's key, or found by the
// digest of the request's messages minus the trailing new ones (the longest match wins).
export function findHolder(context: PoolContext, request: RouteRequest): Holder | null {
  const messages = request.prefixDigests.length - 1;
  let best: Holder | null = null;
  for (const slot of context.slots) {
    const conversation = slot.conversation;
    if (!conversation) continue;
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

/** How many lost conversations the pool remembers (enough to count each one's next turn). */
export const LOST_MEMORY = 64;

/** The lost list with these conversations added (oldest dropped past LOST_MEMORY). */
export function rememberLost(lost: PoolContext['lost'], gone: Array<PoolSlot['conversation']>): PoolContext['lost'] {
  const added = gone.filter((c): c is NonNullable<typeof c> => c !== null && (c.digest !== '' || c.key !== null));
  if (added.length === 0) return lost;
  return [...lost, ...added.map((c) => ({ digest: c.digest, key: c.key }))].slice(-LOST_MEMORY);
}

const wasLost = (context: PoolContext, request: RouteRequest): boolean =>
  context.lost.some((gone) => (request.key !== null && gone.key === request.key) || (gone.digest !== '' && request.prefixDigests.includes(gone.digest)));

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

// Where a request goes (SPEC §6): to the process holding its conversation; otherwise, for isolated
// stateful workers, to a clean process (waiting for one if none is ready); otherwise to the least
// loaded accepting process, spares only while fewer than `workers` used processes accept.
export function chooseRoute(context: PoolContext, candidates: RouteCandidate[], request: RouteRequest, turn = 0): RouteDecision {
  const slotOf = (candidate: RouteCandidate) => context.slots.find((slot) => slot.id === candidate.id);
  const holder = findHolder(context, request);
  const holderCandidate = holder ? candidates.find((c) => c.id === holder.slot.id) : undefined;
  const isolated = holder ? isIsolated(context, holder.slot) : context.slots.some((slot) => isIsolated(context, slot));

  if (holder && holder.newFrom !== null && holderCandidate?.accepting) {
    if (holderCandidate.free) return { kind: 'route', slotId: holder.slot.id, result: 'continued', newFrom: holder.newFrom };
    // A stateful process finishes the conversation's earlier turn first; a stateless one is a preference.
    if (isolated) return { kind: 'wait', clean: false };
  }
  const result: RouteResult = holder || wasLost(context, request) ? 'lost' : 'new';

  if (isolated) {
    const clean = leastLoaded(candidates, (c) => {
      const slot = slotOf(c);
      return slot !== undefined && isClean(slot) && slot.stateful;
    }, turn);
    return clean ? { kind: 'route', slotId: clean.id, result, newFrom: 0 } : { kind: 'wait', clean: true };
  }

  const usedAccepting = candidates.filter((c) => c.accepting && !isClean(slotOf(c)!)).length;
  const chosen = leastLoaded(candidates, (c) => !isClean(slotOf(c)!) || usedAccepting < context.policy.workers, turn);
  return chosen ? { kind: 'route', slotId: chosen.id, result, newFrom: 0 } : { kind: 'wait', clean: false };
}
