import { assign, createMachine } from 'xstate';

// The abstract pool of two stateful processes (--workers 1 --standby 1, isolated): what an operator
// expects, with no digests, timers or actors. Every generated path is replayed on the real pool
// machine (pool-machine.model.test.ts).
export type SlotId = 'w1' | 'w2';
export type SlotState = 'clean' | 'holding' | 'restarting';

export interface PoolModelContext {
  slots: Record<SlotId, SlotState>;
  /** Holding slots, least recently used first. */
  lru: SlotId[];
  /** A new conversation waits for a clean process. */
  waiting: boolean;
  /** A conversation whose process went is still expected back. */
  lostPending: boolean;
  lastRoute: { slot: SlotId; result: 'new' | 'continued' | 'lost' } | null;
  lastRecycled: SlotId[];
}

export const STANDBY = 1;
const IDS: SlotId[] = ['w1', 'w2'];

type Ctx = { context: PoolModelContext };

const firstClean = (c: PoolModelContext) => IDS.find((id) => c.slots[id] === 'clean') ?? null;
const spares = (c: PoolModelContext) => IDS.filter((id) => c.slots[id] !== 'holding').length;

// After any change: while spares fall short of the standby plus a waiting request, the least
// recently used conversation's process is recycled.
function keepSpares(c: PoolModelContext): PoolModelContext {
  let next = { ...c, slots: { ...c.slots }, lru: [...c.lru], lastRecycled: [] as SlotId[] };
  while (spares(next) < STANDBY + (next.waiting ? 1 : 0) && next.lru.length > 0) {
    const victim = next.lru.shift()!;
    next.slots[victim] = 'restarting';
    next.lastRecycled = [...next.lastRecycled, victim];
  }
  return next;
}

function route(c: PoolModelContext, slot: SlotId, result: 'new' | 'continued' | 'lost'): PoolModelContext {
  const lru = [...c.lru.filter((id) => id !== slot), slot];
  return keepSpares({ ...c, slots: { ...c.slots, [slot]: 'holding' }, lru, lastRoute: { slot, result } });
}

function gone(c: PoolModelContext, slot: SlotId): PoolModelContext {
  return keepSpares({ ...c, slots: { ...c.slots, [slot]: 'restarting' }, lru: c.lru.filter((id) => id !== slot), lostPending: true });
}

const restarted = (slot: SlotId) => ({
  guard: ({ context }: Ctx) => context.slots[slot] === 'restarting',
  actions: assign(({ context }: Ctx) => {
    const clean = { ...context, slots: { ...context.slots, [slot]: 'clean' as const }, lastRecycled: [] };
    // A request waiting for a clean process takes this one at once.
    return clean.waiting ? route({ ...clean, waiting: false }, slot, 'new') : keepSpares(clean);
  }),
});

const continued = (slot: SlotId) => ({
  guard: ({ context }: Ctx) => context.slots[slot] === 'holding' && !context.waiting,
  actions: assign(({ context }: Ctx) => route(context, slot, 'continued')),
});

const crashed = (slot: SlotId) => ({
  guard: ({ context }: Ctx) => context.slots[slot] === 'holding' && !context.waiting,
  actions: assign(({ context }: Ctx) => gone(context, slot)),
});

export const poolModel = createMachine({
  id: 'poolModel',
  types: {} as { context: PoolModelContext },
  context: { slots: { w1: 'clean', w2: 'clean' }, lru: [], waiting: false, lostPending: false, lastRoute: null, lastRecycled: [] },
  initial: 'serving',
  states: {
    serving: {
      on: {
        NEW_CONVERSATION: [
          {
            guard: ({ context }) => firstClean(context) !== null && !context.waiting,
            actions: assign(({ context }) => route(context, firstClean(context)!, 'new')),
          },
          {
            guard: ({ context }) => firstClean(context) === null && !context.waiting,
            actions: assign(({ context }) => keepSpares({ ...context, waiting: true, lastRoute: null })),
          },
        ],
        LOST_TURN: {
          guard: ({ context }) => context.lostPending && firstClean(context) !== null && !context.waiting,
          actions: assign(({ context }) => route({ ...context, lostPending: false }, firstClean(context)!, 'lost')),
        },
        CONTINUE_W1: continued('w1'),
        CONTINUE_W2: continued('w2'),
        CRASH_W1: crashed('w1'),
        CRASH_W2: crashed('w2'),
        RESTARTED_W1: restarted('w1'),
        RESTARTED_W2: restarted('w2'),
        IDLE: {
          guard: ({ context }) => context.lru.length > 0 && !context.waiting,
          actions: assign(({ context }) => {
            const slots = { ...context.slots };
            for (const id of context.lru) slots[id] = 'restarting';
            return { ...context, slots, lru: [], lostPending: true, lastRecycled: [...context.lru] };
          }),
        },
      },
    },
  },
});
