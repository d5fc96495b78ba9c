import type { Context, Hono } from 'hono';
import type { ModelsSupervisor } from '../models/models-supervisor.js';
import { healthView } from '../observability/health-view.js';
import type { WorkerCommand } from '../supervisor/supervisor.js';
import { NotFoundError } from '../errors.js';
import { globalWorkerId } from '../models/model-entry.js';

export type ModelsDeps = Pick<ModelsSupervisor, 'modelViews' | 'supervisorOf' | 'canServe' | 'unload' | 'commandModel' | 'table' | 'driverOf'>;

const COMMANDS: readonly WorkerCommand[] = ['restart', 'drain', 'recover'];

/** /v1/models with several models: every model, then every alias (naming the model it stands for). */
export function modelsList(models: ModelsDeps) {
  const views = models.modelViews();
  return [
    ...views.map((m) => ({ id: m.id, object: 'model', created: 0, owned_by: 'lifeguard', aliases: m.aliases })),
    ...views.flatMap((m) => m.aliases.map((alias) => ({ id: alias, object: 'model', created: 0, owned_by: 'lifeguard', root: m.id }))),
  ];
}

// Each model as /health shows it: its table row, and while loaded its own workers' view (status, pool).
export function modelsHealth(models: ModelsDeps, now: number) {
  return models.modelViews().map((view) => {
    const supervisor = models.supervisorOf(view.id);
    if (!supervisor) return { ...view, status: view.phase };
    const own = healthView({ workers: supervisor.snapshots(), pool: supervisor.pool().context, stats: supervisor.stats(), gatewayRssBytes: 0, now }).body;
    return { ...view, status: view.phase === 'serving' ? own.status : view.phase, message: own.message, stats: own.stats, pool: own.pool };
  });
}

// Each loaded model's workers as /health shows a worker, read from the model's own pool (its conversations,
// tenants), with their ids across models (`<model>:<worker>`) and the model they serve.
export function modelsWorkers(models: ModelsDeps, now: number): Array<Record<string, unknown>> {
  return models.modelViews().flatMap((view) => {
    const supervisor = models.supervisorOf(view.id);
    if (!supervisor) return [];
    const own = healthView({ workers: supervisor.snapshots(), pool: supervisor.pool().context, stats: supervisor.stats(), gatewayRssBytes: 0, now }).body;
    return (own.workers as Array<Record<string, unknown>>).map((worker) => ({ ...worker, id: globalWorkerId(view.id, worker.id as string), model: view.id }));
  });
}

/** The state of the machines above the workers, for /ui: the models' parent and each loaded model's pool. */
export function modelsMachines(models: ModelsDeps) {
  return {
    models: models.table().value,
    pools: models.modelViews().map((view) => ({ model: view.id, value: models.supervisorOf(view.id)?.pool().value ?? null })),
  };
}

// POST /admin/models/:id/unload, POST /admin/models/:id/{restart,drain,recover} (every worker of the
// model; recover: the offline ones), GET /admin/models (the table). Behind the /admin/* guard.
export function registerModelAdmin(app: Hono, models: ModelsDeps): void {
  app.get('/admin/models', (c) => c.json({ models: models.modelViews(), machine: { value: models.table().value } }));
  app.post('/admin/models/:id/:command', (c: Context) => {
    const id = c.req.param('id')!;
    const command = c.req.param('command')!;
    if (command === 'unload') return c.json({ id, command, phase: models.unload(id) }, 202);
    if (!COMMANDS.includes(command as WorkerCommand)) throw new NotFoundError(`Unknown model command "${command}" (known: unload, ${COMMANDS.join(', ')})`);
    return c.json({ id, command, workers: models.commandModel(id, command as WorkerCommand) }, 202);
  });
}
