import { assign, enqueueActions, setup } from 'xstate';
import { expiredModels, nextTtlDelay, swapPlan, ttlPending } from './policy/models-policy.js';
import type { ModelEntry, ModelsContext, ModelsEmitted, ModelsEvent, ModelsMachineInput, UnloadReason } from './models-types.js';

const update = (context: ModelsContext, modelId: string, change: (model: ModelEntry) => Partial<ModelEntry>): ModelEntry[] =>
  context.models.map((model) => (model.id === modelId ? { ...model, ...change(model) } : model));

const find = (context: ModelsContext, modelId: string): ModelEntry | undefined => context.models.find((model) => model.id === modelId);

type Enqueue = Parameters<Parameters<typeof enqueueActions<ModelsContext, ModelsEvent, undefined, ModelsEvent, never, never, never, never, ModelsEmitted>>[0]>[0]['enqueue'];

// The types and named implementations of the models' parent machine; its states are in models-machine.ts.
// It tells the runtime `pool.start` / `pool.stop` (emitted); the runtime answers pool.started / pool.failed / pool.stopped.
export const modelsSetup = setup({
  types: {
    context: {} as ModelsContext,
    events: {} as ModelsEvent,
    input: {} as ModelsMachineInput,
    emitted: {} as ModelsEmitted,
  },
  delays: {
    ttlCheck: ({ context }) => Math.max(0, context.ttlCheckAt - context.now),
  },
  guards: {
    ttlPending: ({ context }) => ttlPending(context),
  },
  actions: {
    // Every report carries its time: the table's clock follows it (never back), whether the report changes the
    // table or is ignored, so a TTL check scheduled again on it counts from now, not from an older reading.
    // Only the running state's events, which all carry `at`, use it.
    advanceClock: assign(({ context, event }) => ({ now: Math.max(context.now, (event as { at: number }).at) })),
    recordArrival: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'request.arrived') return;
      const model = find(context, event.modelId);
      if (!model) return;
      if (model.phase === 'serving') {
        enqueue.assign({ models: update(context, model.id, (m) => ({ inFlight: m.inFlight + 1 })) });
        enqueue.emit({ type: 'model.admitted', modelId: model.id, count: 1 });
        return;
      }
      const seq = context.seq + 1;
      enqueue.assign({ seq, models: update(context, model.id, (m) => ({ waiting: m.waiting + 1, wantedSeq: m.waiting === 0 ? seq : m.wantedSeq })) });
    }),
    recordWithdrawal: assign(({ context, event }) => {
      if (event.type !== 'request.withdrawn') return {};
      return { models: update(context, event.modelId, (m) => ({ waiting: Math.max(0, m.waiting - 1) })) };
    }),
    // The end of a draining model's last request stops its pool.
    recordEnd: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'request.ended') return;
      const model = find(context, event.modelId);
      if (!model) return;
      const inFlight = Math.max(0, model.inFlight - 1);
      const stopping = model.phase === 'draining' && inFlight === 0;
      enqueue.assign({
        models: update(context, model.id, () => ({ inFlight, lastUsedAt: event.at, ...(stopping ? { phase: 'stopping' as const } : {}) })),
      });
      if (stopping) enqueue.emit({ type: 'pool.stop', modelId: model.id });
    }),
    // Serving: every request that waited for it is admitted in this same step.
    recordStarted: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'pool.started') return;
      const model = find(context, event.modelId);
      if (!model || model.phase !== 'starting') return;
      enqueue.assign({
        models: update(context, model.id, (m) => ({ phase: 'serving', inFlight: m.inFlight + m.waiting, waiting: 0, lastUsedAt: event.at, bootPending: false })),
      });
      if (model.waiting > 0) enqueue.emit({ type: 'model.admitted', modelId: model.id, count: model.waiting });
    }),
    recordFailed: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'pool.failed') return;
      const model = find(context, event.modelId);
      if (!model || model.phase !== 'starting') return;
      enqueue.assign({ models: update(context, model.id, () => ({ phase: 'unloaded', waiting: 0, bootPending: false })) });
      enqueue.emit({ type: 'model.rejected', modelId: model.id, count: model.waiting, error: event.error });
    }),
    recordStopped: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'pool.stopped') return;
      const model = find(context, event.modelId);
      if (!model || model.phase !== 'stopping') return;
      enqueue.assign({ models: update(context, model.id, () => ({ phase: 'unloaded' })) });
      enqueue.emit({ type: 'model.unloaded', modelId: model.id });
    }),
    unloadModel: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'model.unload') return;
      const model = find(context, event.modelId);
      if (model?.phase === 'serving') drain(enqueue as Enqueue, context, model, 'admin');
    }),
    // Loads what is wanted, or unloads the serving rivals in its way (policy: swapPlan).
    rebalance: enqueueActions(({ context, enqueue }) => {
      const plan = swapPlan(context);
      let current = context;
      for (const id of plan.unload) current = drain(enqueue as Enqueue, current, find(current, id)!, 'exclusive');
      if (plan.load.length === 0) return;
      current = { ...current, models: current.models.map((m) => (plan.load.includes(m.id) ? { ...m, phase: 'starting' as const } : m)) };
      enqueue.assign({ models: current.models });
      for (const id of plan.load) {
        enqueue.emit({ type: 'model.loading', modelId: id });
        enqueue.emit({ type: 'pool.start', modelId: id });
      }
    }),
    scheduleTtlCheck: assign(({ context }) => ({ ttlCheckAt: context.now + nextTtlDelay(context) })),
    advanceClockToTtlCheck: assign(({ context }) => ({ now: Math.max(context.now, context.ttlCheckAt) })),
    unloadExpired: enqueueActions(({ context, enqueue }) => {
      let current = context;
      for (const model of expiredModels(context, context.now)) current = drain(enqueue as Enqueue, current, model, 'ttl');
    }),
  },
});

// A serving model drains: it takes no new request, and its pool stops once nothing is in flight.
function drain(enqueue: Enqueue, context: ModelsContext, model: ModelEntry, reason: UnloadReason): ModelsContext {
  const phase = model.inFlight === 0 ? ('stopping' as const) : ('draining' as const);
  const next = { ...context, models: update(context, model.id, () => ({ phase })) };
  enqueue.assign({ models: next.models });
  enqueue.emit({ type: 'model.unloading', modelId: model.id, reason });
  if (phase === 'stopping') enqueue.emit({ type: 'pool.stop', modelId: model.id });
  return next;
}
