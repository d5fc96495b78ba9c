import { assign, createMachine } from 'xstate';

// The abstract pool as it grows and shrinks (docs/architecture.md#conversations-and-the-pool): what
// an operator expects of --workers 1 --standby 1 --max-processes 3 --spawn-concurrency 1 under a
// memory budget, with no ids, digests, timers or actors. Every generated path is replayed on the real
// pool machine (pool-capacity.model.test.ts).
//
// - Each new conversation takes a ready spare (or waits for one); a spare taken is refilled by a new
//   process while one fits (the cap, the budget), one start at a time.
// - Only when no new process fits is the least recently used idle conversation's process recycled
//   into a spare.
// - Over the budget (the processes swell) above the floor, a ready spare is stopped first, then the
//   least recently used idle conversation; spares beyond those wanted are stopped (the newest ready
//   one first) once they are ready — never a spare still starting in place of a ready one.
// - A process answering a request is never recycled nor stopped.

/** A process as the operator sees it: starting (spawned, recycled or restarting), a ready spare, or
 * holding a conversation (idle, or busy answering). `recycled`: its recycle was just asked for (it
 * becomes `starting` once the process hears it, within the same step). */
export type ProcKind = 'starting' | 'recycled' | 'spare' | 'idle' | 'busy';

export interface Proc {
  kind: ProcKind;
  /** The conversation's recency among those held: 0 is the least recently used (null: holds none). */
  conv: number | null;
}

export interface CapacityModelContext {
  /** The processes in the order they were spawned (the pool's slot order). */
  procs: Proc[];
  /** A new conversation waits for a clean process. */
  waiting: boolean;
  /** The processes swelled: two fit in the budget instead of three. */
  heavy: boolean;
  /** What the pool did in the last step, in order: `spawned floor|spare`, `recycled lru`, `retired budget|excess`. */
  did: string[];
}

export const FLOOR = 2; // --workers 1 --standby 1
export const STANDBY = 1;
export const MAX_PROCESSES = 3;
export const SPAWN_CONCURRENCY = 1;
const fits = (c: CapacityModelContext) => (c.heavy ? 2 : MAX_PROCESSES);

type Ctx = { context: CapacityModelContext };

const count = (c: CapacityModelContext, ...kinds: ProcKind[]) => c.procs.filter((p) => kinds.includes(p.kind)).length;

// The conversations' recency renumbered 0…n-1 (keeping their order); `newest` becomes the most recent.
function renumber(procs: Proc[], newest: Proc | null = null): Proc[] {
  const held = procs.filter((p) => p.conv !== null && p !== newest).sort((a, b) => a.conv! - b.conv!);
  if (newest) held.push(newest);
  const rank = new Map(held.map((p, i) => [p, i]));
  return procs.map((p) => ({ ...p, conv: rank.has(p) ? rank.get(p)! : null }));
}

/** The idle conversation used least recently (its index), or -1. */
const leastRecentIdle = (procs: Proc[]) => {
  let best = -1;
  procs.forEach((p, i) => {
    if (p.kind === 'idle' && (best < 0 || p.conv! < procs[best]!.conv!)) best = i;
  });
  return best;
};

// After every event the pool decides, one thing at a time, until nothing applies.
function decide(c: CapacityModelContext): CapacityModelContext {
  let procs = [...c.procs];
  const did: string[] = [...c.did];
  for (let guard = 0; guard < 20; guard++) {
    const now = { ...c, procs };
    const starting = count(now, 'starting', 'recycled');
    const spares = count(now, 'starting', 'recycled', 'spare');
    const wanted = STANDBY + (c.waiting ? 1 : 0);
    const n = procs.length;
    const mayStart = starting < SPAWN_CONCURRENCY;
    const mayGrow = n < fits(now);
    if ((n < FLOOR || spares < wanted) && mayStart && mayGrow) {
      did.push(n < FLOOR ? 'spawned floor' : 'spawned spare');
      procs = [...procs, { kind: 'starting', conv: null }];
      continue;
    }
    const lru = leastRecentIdle(procs);
    if (spares < wanted && !mayGrow && mayStart && lru >= 0) {
      did.push('recycled lru');
      procs = renumber(procs.map((p, i) => (i === lru ? { kind: 'recycled', conv: null } : p)));
      continue;
    }
    if (n > fits(now) && n > FLOOR) {
      // A ready spare, else a process already being recycled, else the least recently used idle conversation.
      let victim = procs.findIndex((p) => p.kind === 'spare');
      if (victim < 0) victim = procs.findIndex((p) => p.kind === 'recycled');
      if (victim < 0) victim = lru;
      if (victim >= 0) {
        did.push('retired budget');
        procs = renumber(procs.filter((_, i) => i !== victim));
        continue;
      }
    }
    if (n > FLOOR && !c.waiting && count(now, 'spare') > wanted) {
      const newest = procs.map((p) => p.kind).lastIndexOf('spare');
      did.push('retired excess');
      procs = procs.filter((_, i) => i !== newest);
      continue;
    }
    break;
  }
  // The recycled processes have heard it by the end of the step: they are starting.
  return { ...c, procs: procs.map((p) => (p.kind === 'recycled' ? { kind: 'starting', conv: null } : p)), did };
}

/** A step: the event's own change, then the pool's decisions. */
const step = (change: (c: CapacityModelContext) => CapacityModelContext) => assign(({ context }: Ctx) => decide({ ...change(context), did: [] }));

// A new conversation on a process: busy with it, its most recent.
const take = (procs: Proc[], index: number): Proc[] => {
  const taken: Proc = { kind: 'busy', conv: Number.MAX_SAFE_INTEGER };
  return renumber(procs.map((p, i) => (i === index ? taken : p)), taken);
};

export const capacityModel = createMachine({
  id: 'capacityModel',
  types: {} as { context: CapacityModelContext },
  context: { procs: [{ kind: 'spare', conv: null }, { kind: 'spare', conv: null }], waiting: false, heavy: false, did: [] },
  initial: 'serving',
  states: {
    serving: {
      on: {
        // A new conversation takes the first ready spare, or waits for one (one waiting at most here).
        NEW_CONVERSATION: {
          guard: ({ context }) => !context.waiting,
          actions: step((c) => {
            const spare = c.procs.findIndex((p) => p.kind === 'spare');
            return spare >= 0 ? { ...c, procs: take(c.procs, spare) } : { ...c, waiting: true };
          }),
        },
        // The least recently used idle conversation sends its next turn: busy, its recency unchanged
        // until it is answered.
        CONTINUE: {
          guard: ({ context }) => leastRecentIdle(context.procs) >= 0,
          actions: step((c) => {
            const lru = leastRecentIdle(c.procs);
            return { ...c, procs: c.procs.map((p, i) => (i === lru ? { ...p, kind: 'busy' } : p)) };
          }),
        },
        // The request of the least recently used conversation in flight is answered: that conversation is the most recent.
        ANSWER: {
          guard: ({ context }) => context.procs.some((p) => p.kind === 'busy'),
          actions: step((c) => {
            const busy = c.procs.filter((p) => p.kind === 'busy').sort((a, b) => a.conv! - b.conv!)[0]!;
            const answered: Proc = { kind: 'idle', conv: busy.conv };
            return { ...c, procs: renumber(c.procs.map((p) => (p === busy ? answered : p)), answered) };
          }),
        },
        // The first process starting (in slot order) accepts; a request waiting takes it at once.
        STARTED: {
          guard: ({ context }) => context.procs.some((p) => p.kind === 'starting'),
          actions: step((c) => {
            const index = c.procs.findIndex((p) => p.kind === 'starting');
            const ready = c.procs.map((p, i): Proc => (i === index ? { kind: 'spare', conv: null } : p));
            return c.waiting ? { ...c, waiting: false, procs: take(ready, index) } : { ...c, procs: ready };
          }),
        },
        // The least recently used idle conversation's process crashes: it restarts (a start too).
        CRASH: {
          guard: ({ context }) => leastRecentIdle(context.procs) >= 0,
          actions: step((c) => {
            const lru = leastRecentIdle(c.procs);
            return { ...c, procs: renumber(c.procs.map((p, i): Proc => (i === lru ? { kind: 'starting', conv: null } : p))) };
          }),
        },
        SWELL: { guard: ({ context }) => !context.heavy, actions: step((c) => ({ ...c, heavy: true })) },
        SHRINK: { guard: ({ context }) => context.heavy, actions: step((c) => ({ ...c, heavy: false })) },
      },
    },
  },
});
