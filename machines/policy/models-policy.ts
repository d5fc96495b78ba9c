import type { ModelEntry, ModelsContext } from '../models-types.js';

// The model table's policy (issue #27) as pure functions: which model to load, which to unload for an
// exclusive rival, and when a TTL runs out.

/** The model has processes (or is on its way to or from having them). */
export const isLoaded = (model: ModelEntry): boolean => model.phase !== 'unloaded';

/** Unloaded and wanted: requests wait for it, or it starts at boot. */
export const isWanted = (model: ModelEntry): boolean => model.phase === 'unloaded' && (model.waiting > 0 || model.bootPending);

const rivals = (models: ModelEntry[], model: ModelEntry): ModelEntry[] =>
  model.exclusive === null ? [] : models.filter((other) => other.id !== model.id && other.exclusive === model.exclusive);

export interface SwapPlan {
  load: string[];
  /** Serving rivals of a wanted model: they drain and stop first. */
  unload: string[];
}

// Oldest want first: a wanted model loads when no rival of its label is loaded (or chosen to load
// before it); otherwise its serving rivals are unloaded, and the ones already on their way are waited for.
export function swapPlan(context: ModelsContext): SwapPlan {
  const wanted = context.models.filter(isWanted).sort((a, b) => a.wantedSeq - b.wantedSeq);
  const load: string[] = [];
  const unload: string[] = [];
  for (const model of wanted) {
    const group = rivals(context.models, model);
    const blockers = group.filter((rival) => isLoaded(rival) || load.includes(rival.id));
    if (blockers.length === 0) {
      load.push(model.id);
      continue;
    }
    for (const rival of blockers) {
      if (rival.phase === 'serving' && !unload.includes(rival.id)) unload.push(rival.id);
    }
  }
  return { load, unload };
}

/** Serving with nothing in flight or waiting: its TTL runs from its last use. */
const ttlRunning = (model: ModelEntry): model is ModelEntry & { ttlMs: number } =>
  model.phase === 'serving' && model.ttlMs !== null && model.inFlight === 0 && model.waiting === 0;

/** The models whose TTL has run out at `at`. */
export const expiredModels = (context: ModelsContext, at: number): ModelEntry[] =>
  context.models.filter((model) => ttlRunning(model) && model.lastUsedAt + model.ttlMs <= at);

/** Some model's TTL is running. */
export const ttlPending = (context: ModelsContext): boolean => context.models.some(ttlRunning);

/** Milliseconds from `now` until the first running TTL ends (0 when one already has). */
export function nextTtlDelay(context: ModelsContext): number {
  let next = Number.POSITIVE_INFINITY;
  for (const model of context.models) if (ttlRunning(model)) next = Math.min(next, model.lastUsedAt + model.ttlMs);
  return Number.isFinite(next) ? Math.max(0, next - context.now) : 0;
}
