import type { ModelPhase } from '../../machines/models-types.js';

/** A model's lifecycle as the models' parent keeps it (a row of its table, not a state of its own): /ui
 * draws it beside the parent's chart, each model shown in its phase. */
export interface ModelLifecycle {
  phases: ModelPhase[];
  edges: Array<{ from: ModelPhase; to: ModelPhase; events: string[] }>;
}

// docs/models.md: unloaded → starting → serving → draining → stopping → unloaded, and a failed start.
export const MODEL_LIFECYCLE: ModelLifecycle = {
  phases: ['unloaded', 'starting', 'serving', 'draining', 'stopping'],
  edges: [
    { from: 'unloaded', to: 'starting', events: ['request.arrived', 'start: boot'] },
    { from: 'starting', to: 'serving', events: ['pool.started'] },
    { from: 'starting', to: 'unloaded', events: ['pool.failed'] },
    { from: 'serving', to: 'draining', events: ['ttl', 'model.unload', 'an exclusive rival is wanted'] },
    { from: 'draining', to: 'stopping', events: ['request.ended (none in flight)'] },
    { from: 'stopping', to: 'unloaded', events: ['pool.stopped'] },
  ],
};
