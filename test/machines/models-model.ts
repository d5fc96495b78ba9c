import { assign, createMachine } from 'xstate';

// The abstract model table of two models, A and B, that share one exclusive label and unload after a
// TTL: what an operator expects, with no clock, pools or events of the runtime. Each model has at most
// one request outstanding (to keep the graph small). Every generated path is replayed on the real
// models machine (models-machine.model.test.ts).
export type ModelId = 'A' | 'B';
export type Phase = 'unloaded' | 'starting' | 'serving' | 'draining' | 'stopping';

export interface ModelState {
  phase: Phase;
  waiting: number;
  inFlight: number;
}

export interface ModelsModelContext {
  A: ModelState;
  B: ModelState;
  /** Unloaded models with a waiting request, oldest want first. */
  wants: ModelId[];
  /** The models whose requests went to their pool in the last step. */
  admitted: ModelId[];
}

const IDS: ModelId[] = ['A', 'B'];
const other = (id: ModelId): ModelId => (id === 'A' ? 'B' : 'A');
type Ctx = { context: ModelsModelContext };

const unload = (m: ModelState): ModelState => ({ ...m, phase: m.inFlight === 0 ? 'stopping' : 'draining' });

// The want that is oldest loads when its rival has no processes; otherwise a serving rival unloads.
function rebalance(c: ModelsModelContext): ModelsModelContext {
  const next = { ...c, A: { ...c.A }, B: { ...c.B }, wants: [...c.wants], admitted: [...c.admitted] };
  const wanted = next.wants.filter((id) => next[id].phase === 'unloaded' && next[id].waiting > 0);
  for (const id of wanted) {
    const rival = next[other(id)];
    if (rival.phase === 'unloaded') {
      next[id] = { ...next[id], phase: 'starting' };
      next.wants = next.wants.filter((w) => w !== id);
    } else if (rival.phase === 'serving') {
      next[other(id)] = unload(rival);
    }
  }
  return next;
}

const request = (id: ModelId) => ({
  guard: ({ context }: Ctx) => context[id].waiting + context[id].inFlight === 0,
  actions: assign(({ context }: Ctx) => {
    const m = context[id];
    if (m.phase === 'serving') return { ...context, [id]: { ...m, inFlight: 1 }, admitted: [id] };
    const wants = m.phase === 'unloaded' || !context.wants.includes(id) ? [...context.wants.filter((w) => w !== id), id] : context.wants;
    return rebalance({ ...context, [id]: { ...m, waiting: 1 }, wants, admitted: [] });
  }),
});

const end = (id: ModelId) => ({
  guard: ({ context }: Ctx) => context[id].inFlight === 1,
  actions: assign(({ context }: Ctx) => {
    const m = context[id];
    return { ...context, [id]: { ...m, inFlight: 0, phase: m.phase === 'draining' ? ('stopping' as const) : m.phase }, admitted: [] };
  }),
});

export const modelsModel = createMachine({
  id: 'modelsModel',
  types: {} as { context: ModelsModelContext },
  context: {
    A: { phase: 'unloaded', waiting: 0, inFlight: 0 },
    B: { phase: 'unloaded', waiting: 0, inFlight: 0 },
    wants: [],
    admitted: [],
  },
  initial: 'table',
  states: {
    table: {
      on: {
        REQUEST_A: request('A'),
        REQUEST_B: request('B'),
        END_A: end('A'),
        END_B: end('B'),
        // The runtime has started the pool that was starting: its waiting request is admitted.
        STARTED: {
          guard: ({ context }) => IDS.some((id) => context[id].phase === 'starting'),
          actions: assign(({ context }) => {
            const id = IDS.find((i) => context[i].phase === 'starting')!;
            const m = context[id];
            const admitted = m.waiting > 0 ? [id] : [];
            return rebalance({ ...context, [id]: { ...m, phase: 'serving', inFlight: m.inFlight + m.waiting, waiting: 0 }, admitted });
          }),
        },
        // The runtime has stopped the pool that was stopping.
        STOPPED: {
          guard: ({ context }) => IDS.some((id) => context[id].phase === 'stopping'),
          actions: assign(({ context }) => {
            const id = IDS.find((i) => context[i].phase === 'stopping')!;
            const wants = context[id].waiting > 0 && !context.wants.includes(id) ? [...context.wants, id] : context.wants;
            return rebalance({ ...context, [id]: { ...context[id], phase: 'unloaded' }, wants, admitted: [] });
          }),
        },
        // The TTL passes: a serving model with nothing in flight or waiting unloads.
        TTL: {
          guard: ({ context }) => IDS.some((id) => context[id].phase === 'serving' && context[id].inFlight === 0),
          actions: assign(({ context }) => {
            const id = IDS.find((i) => context[i].phase === 'serving' && context[i].inFlight === 0)!;
            return { ...context, [id]: unload(context[id]), admitted: [] };
          }),
        },
      },
    },
  },
});
