import type { Isolation, PoolContext, PoolSlot } from '../pool-types.js';

// How many processes the pool keeps (docs/architecture.md#conversations-and-the-pool), as pure functions of its context: the memory budget
// and the process cap bound it, the floor (workers + standby) is never retired, spares are refilled
// a few at a time and sized to the rate at which new conversations arrive.

/** What a process is assumed to take before any was measured. */
export const DEFAULT_PROCESS_BYTES = 256 * 1024 * 1024;
/** New conversations are counted over this window to size the spares. */
export const ARRIVAL_WINDOW_MS = 60_000;
/** Arrivals remembered at most (the rate cannot read higher than this per window). */
export const ARRIVAL_MEMORY = 256;

/** A process that has served nothing in its current run. */
export const isClean = (slot: PoolSlot): boolean => slot.usedRun !== slot.run;

/** The tenant whose words a process holds; null while it is clean. */
export const tenantOf = (slot: PoolSlot): string | null => (isClean(slot) ? null : slot.tenant);

/** A tenant's isolation (its own from the api_keys file, or the pool's); a clean process's is the pool's. */
export const isolationOf = (context: PoolContext, tenant: string | null): Isolation =>
  (tenant !== null ? context.policy.tenantIsolation[tenant] : undefined) ?? context.policy.isolation;

/** A stateful process whose words are not shared: its conversation (or lane) goes when it idles or is evicted. */
export const isIsolated = (context: PoolContext, slot: PoolSlot): boolean => slot.stateful && isolationOf(context, tenantOf(slot)) !== 'shared';

// A spare is a clean process that accepts, or any process on its way back (every `waiting` state
// ends in a fresh run), or one whose recycle was already asked for.
const isSpare = (slot: PoolSlot): boolean =>
  slot.tag === 'waiting' || (slot.tag === 'accepting' && (isClean(slot) || slot.recycledRun === slot.run));

export const spareCount = (context: PoolContext): number => context.slots.filter(isSpare).length;

/** Processes on their way to accepting (spawned, restarting, recycled — from the moment the recycle is
 * asked, while the process has not heard it yet): the starts in progress. */
export const startingCount = (context: PoolContext): number =>
  context.slots.filter((slot) => slot.tag === 'waiting' || (slot.tag === 'accepting' && slot.recycledRun === slot.run)).length;

/** The processes kept at the least: never retired below this. */
export const floorCount = (context: PoolContext): number => context.policy.workers + context.policy.standby;

/** What one more process is expected to take: the mean of those measured, or the default. */
export function processEstimate(context: PoolContext): number {
  let sum = 0;
  let measured = 0;
  for (const slot of context.slots) {
    if (slot.rssBytes === null) continue;
    sum += slot.rssBytes;
    measured += 1;
  }
  return measured > 0 ? Math.round(sum / measured) : DEFAULT_PROCESS_BYTES;
}

/** What the processes take together (the estimate for those not measured yet). */
export function memoryInUse(context: PoolContext): number {
  const estimate = processEstimate(context);
  return context.slots.reduce((sum, slot) => sum + (slot.rssBytes ?? estimate), 0);
}

/** One more process fits under both the process cap and the memory budget. */
export const mayGrow = (context: PoolContext): boolean =>
  context.slots.length < context.policy.maxProcesses && memoryInUse(context) + processEstimate(context) <= context.policy.memoryBudgetBytes;

/** New conversations within the arrival window before `now`. */
export const recentArrivals = (context: PoolContext): number => context.arrivals.filter((at) => at > context.now - ARRIVAL_WINDOW_MS).length;

/** The arrival list with one more at `at` (older than the window, or past ARRIVAL_MEMORY, dropped). */
export const rememberArrival = (arrivals: number[], at: number): number[] =>
  [...arrivals.filter((time) => time > at - ARRIVAL_WINDOW_MS), at].slice(-ARRIVAL_MEMORY);

// Spares wanted: the standby at the least, or as many as new conversations arrive during one cold
// start (so none waits for one while the refills keep up), plus the requests waiting for one now.
export function sparesWanted(context: PoolContext): number {
  const byRate = Math.round((recentArrivals(context) * context.coldStartMs) / ARRIVAL_WINDOW_MS);
  return Math.max(context.policy.standby, byRate) + context.cleanWanted;
}

/** Another start may begin now (the bounded spawn concurrency). */
export const mayStart = (context: PoolContext): boolean => startingCount(context) < context.policy.spawnConcurrency;

/** A new process is wanted and allowed: below the floor, or short of spares, within budget, cap and concurrency. */
export const spawnWanted = (context: PoolContext): boolean =>
  (context.slots.length < floorCount(context) || spareCount(context) < sparesWanted(context)) && mayStart(context) && mayGrow(context);

const isIdleAccepting = (slot: PoolSlot): boolean => slot.tag === 'accepting' && !slot.busy;

const lastUsed = (slot: PoolSlot): number => slot.conversation?.lastUsedAt ?? Number.NEGATIVE_INFINITY;

function leastRecentlyUsed(slots: PoolSlot[]): PoolSlot | null {
  let victim: PoolSlot | null = null;
  for (const slot of slots) if (!victim || lastUsed(slot) < lastUsed(victim)) victim = slot;
  return victim;
}

// Whose process may be taken for a clean one: an isolated conversation (or lane), or in shared mode a
// process of another tenant while a request waits for a clean one (its tenant has no process).
const mayEvict = (context: PoolContext, slot: PoolSlot): boolean => isIsolated(context, slot) || (slot.stateful && context.cleanWanted > 0);

/** The idle process to recycle when a clean one is needed and no new one fits: the least recently used conversation. */
export const recycleVictim = (context: PoolContext): PoolSlot | null =>
  leastRecentlyUsed(context.slots.filter((slot) => isIdleAccepting(slot) && !isSpare(slot) && mayEvict(context, slot)));

/** Fewer spares than wanted, no new process fits, and an idle conversation can give its process up. */
export const needsSpare = (context: PoolContext): boolean =>
  spareCount(context) < sparesWanted(context) && !mayGrow(context) && mayStart(context) && recycleVictim(context) !== null;

/** A full lane (its context at the proactive threshold) with nothing in flight: it restarts clean. */
export const fullLane = (context: PoolContext): PoolSlot | null =>
  context.slots.find((slot) => isIdleAccepting(slot) && slot.full && slot.conversation?.lane === true && slot.recycledRun !== slot.run) ?? null;

/** A spare a new conversation takes at once: clean, accepting, nothing in flight. */
const isReadySpare = (slot: PoolSlot): boolean => isIdleAccepting(slot) && isClean(slot);

// A ready spare beyond those wanted, above the floor, while no request waits for one: the newest is
// stopped. Only ready spares count here (those still starting count to grow, not to shrink): a ready
// spare is never stopped in favour of one that is still starting, which a request would wait for.
export function excessSpare(context: PoolContext): PoolSlot | null {
  if (context.slots.length <= floorCount(context) || context.cleanWanted > 0) return null;
  const ready = context.slots.filter(isReadySpare);
  return ready.length > sparesWanted(context) ? ready[ready.length - 1]! : null;
}

/** Over the memory budget above the floor: a clean spare goes first, then the least recently used idle conversation. */
export function overBudgetVictim(context: PoolContext): PoolSlot | null {
  if (context.slots.length <= floorCount(context) || memoryInUse(context) <= context.policy.memoryBudgetBytes) return null;
  const idle = context.slots.filter(isIdleAccepting);
  return idle.find(isClean) ?? leastRecentlyUsed(idle.filter((slot) => isIsolated(context, slot)));
}

const idleSince = (slot: PoolSlot): number | null => (slot.conversation && !slot.busy ? slot.conversation.lastUsedAt : null);

/** Conversations idle for session_idle_ms at `at` (a request in flight keeps its conversation), least recently used first. */
export const idleSlots = (context: PoolContext, at: number): PoolSlot[] =>
  context.slots
    .filter((slot) => {
      const since = idleSince(slot);
      return since !== null && since + context.policy.sessionIdleMs <= at;
    })
    .sort((a, b) => lastUsed(a) - lastUsed(b));

/** Milliseconds from `now` until the next conversation idles out (session_idle_ms when none is held). */
export function nextIdleDelay(context: PoolContext): number {
  let next = Number.POSITIVE_INFINITY;
  for (const slot of context.slots) {
    const since = idleSince(slot);
    if (since !== null) next = Math.min(next, since + context.policy.sessionIdleMs);
  }
  return Number.isFinite(next) ? Math.max(0, next - context.now) : context.policy.sessionIdleMs;
}

export type IdleOutcome = 'retire' | 'recycle' | 'forget';

// What an idled-out conversation's process becomes: a shared (or not accepting) one only forgets it;
// an isolated one is stopped when the pool is above its floor and has the spares it wants, otherwise
// it restarts clean as a spare. `slots` and `spares`: the counts as the earlier idle ones left them.
export function idleOutcome(context: PoolContext, slot: PoolSlot, slots: number, spares: number): IdleOutcome {
  if (!isIsolated(context, slot) || slot.tag !== 'accepting') return 'forget';
  return slots > floorCount(context) && spares >= sparesWanted(context) ? 'retire' : 'recycle';
}

/** The smoothed cold start with one more measured (a quarter of weight to the newest). */
export const smoothColdStart = (previous: number, sample: number): number => Math.round((previous * 3 + sample) / 4);
