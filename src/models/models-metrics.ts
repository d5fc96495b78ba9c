import { Gauge, type Registry } from 'prom-client';
import type { ModelPhase } from '../../machines/models-types.js';
import { splitWorkerId } from './model-entry.js';
import type { ModelsSupervisor } from './models-supervisor.js';

const PHASES: ModelPhase[] = ['unloaded', 'starting', 'serving', 'draining', 'stopping'];

/** The model a worker id (`<model>:<worker>`) belongs to. */
export const modelOfWorker = (workerId: string) => splitWorkerId(workerId)?.modelId ?? '';

// Each model's phase, waiting and in-flight requests, read from the table at scrape time.
export function registerModelMetrics(registry: Registry, models: Pick<ModelsSupervisor, 'modelViews'>): void {
  new Gauge({
    name: 'lifeguard_model_phase',
    help: 'Where each model is in its lifecycle (1 for exactly one phase per model)',
    labelNames: ['model', 'phase'],
    registers: [registry],
    collect() {
      this.reset();
      for (const view of models.modelViews()) for (const phase of PHASES) this.set({ model: view.id, phase }, view.phase === phase ? 1 : 0);
    },
  });
  new Gauge({
    name: 'lifeguard_model_waiting',
    help: 'Requests waiting for their model to start',
    labelNames: ['model'],
    registers: [registry],
    collect() {
      this.reset();
      for (const view of models.modelViews()) this.set({ model: view.id }, view.waiting);
    },
  });
  new Gauge({
    name: 'lifeguard_model_in_flight',
    help: "Requests admitted to each model's pool and not yet ended",
    labelNames: ['model'],
    registers: [registry],
    collect() {
      this.reset();
      for (const view of models.modelViews()) this.set({ model: view.id }, view.in_flight);
    },
  });
}
