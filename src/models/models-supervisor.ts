import { createActor } from 'xstate';
import { modelsMachine } from '../../machines/models-machine.js';
import type { ModelsEmitted } from '../../machines/models-types.js';
import type { ChatRequestBody } from '../drivers/driver.js';
import { ModelNotFoundError, NotFoundError, QueueFullError, ShuttingDownError, WorkerRequestError } from '../errors.js';
import type { Dispatch, DispatchOptions, Supervisor, SupervisorEvent, WorkerCommand, WorkerSnapshot } from '../supervisor/supervisor.js';
import type { CancelSignal } from '../util/cancellation.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { retryAfterS, waitForAcceptingWorker, waitForAdmission } from './model-admission.js';
import { endingWith, globalWorkerId, splitWorkerId, type ModelEntryRuntime } from './model-entry.js';
import type { ModelConfig } from './models-config.js';

export interface ModelsSupervisorOptions {
  models: ModelConfig[];
  /** A model's pool (one supervisor facade from its settings); made anew each time the model loads. */
  createPool(model: ModelConfig): Supervisor;
  /** Requests that may wait for a model to start (queue_size), and how long (queue_wait_ms). */
  queueSize: number;
  queueWaitMs: number;
  logger?: Logger;
}

/** A model as /health, /ui and the admin endpoints show it. */
export interface ModelView {
  id: string;
  aliases: string[];
  phase: string;
  exclusive: string | null;
  ttl_s: number | null;
  start: string;
  waiting: number;
  in_flight: number;
  driver: string;
  workers: string[];
}

type Stats = ReturnType<Supervisor['stats']>;

const addStats = (a: Stats, b: Stats): Stats => ({
  totalRequests: a.totalRequests + b.totalRequests,
  totalErrors: a.totalErrors + b.totalErrors,
  startedAt: Math.min(a.startedAt, b.startedAt),
  queueDepth: a.queueDepth + b.queueDepth,
  inFlight: a.inFlight + b.inFlight,
  routes: { continued: a.routes.continued + b.routes.continued, new: a.routes.new + b.routes.new, lost: a.routes.lost + b.routes.lost, moved: a.routes.moved + b.routes.moved },
});

// The `model` a forwarded body names (undefined when it names none or is not JSON: the first model serves it).
function requestedModel(body: string): string | undefined {
  try {
    const model = (JSON.parse(body) as { model?: unknown } | null)?.model;
    return typeof model === 'string' ? model : undefined;
  } catch {
    return undefined;
  }
}

// A fetch's AbortSignal as the CancelSignal the admission watches.
function cancelSignalOf(signal: AbortSignal): CancelSignal {
  return {
    get aborted() {
      return signal.aborted;
    },
    get reason() {
      return signal.reason as unknown;
    },
    onAbort(listener) {
      if (signal.aborted) {
        listener(signal.reason);
        return () => undefined;
      }
      const heard = () => listener(signal.reason);
      signal.addEventListener('abort', heard, { once: true });
      return () => signal.removeEventListener('abort', heard);
    },
  };
}

// Several models behind one gateway (issue #27): the model table (the models machine) decides when
// each model's pool starts and stops; this facade carries that out and speaks, to the gateway, the
// same language as one supervisor: dispatch, snapshots, command, stats, subscribe. Worker ids are
// `<model>:<worker>`.
export function createModelsSupervisor(options: ModelsSupervisorOptions) {
  const logger = options.logger ?? silentLogger;
  const entries = new Map<string, ModelEntryRuntime>(options.models.map((model) => [model.id, { model, supervisor: null, stopSubscription: null, waiters: [], stopping: null }]));
  const byName = new Map<string, ModelEntryRuntime>();
  for (const entry of entries.values()) for (const name of [entry.model.id, ...entry.model.aliases]) byName.set(name, entry);
  const first = entries.values().next().value!;
  const listeners = new Set<(event: SupervisorEvent) => void>();
  const modelListeners = new Set<(event: ModelsEmitted) => void>();
  let retired: Stats = { totalRequests: 0, totalErrors: 0, startedAt: Date.now(), queueDepth: 0, inFlight: 0, routes: { continued: 0, new: 0, lost: 0, moved: 0 } };
  let closed = false;

  const table = createActor(modelsMachine, {
    input: { now: Date.now(), models: options.models.map(({ id, exclusive, ttlMs, start }) => ({ id, exclusive, ttlMs, start })) },
  });
  const tell = (event: Parameters<typeof table.send>[0]) => {
    if (table.getSnapshot().status === 'active') table.send(event);
  };
  const phaseOf = (id: string) => table.getSnapshot().context.models.find((m) => m.id === id)!;

  const startPool = (entry: ModelEntryRuntime) => {
    const id = entry.model.id;
    if (closed) return;
    try {
      const supervisor = options.createPool(entry.model);
      entry.stopSubscription = supervisor.subscribe((event) => {
        const renamed = { ...event, workerId: globalWorkerId(id, event.workerId) } as SupervisorEvent;
        for (const listener of listeners) listener(renamed);
      });
      entry.supervisor = supervisor;
      supervisor.start();
      tell({ type: 'pool.started', modelId: id, at: Date.now() });
    } catch (error) {
      logger.log('ERROR', `model ${id}: its pool could not start: ${(error as Error).message}`);
      entry.stopSubscription?.();
      entry.supervisor = null;
      tell({ type: 'pool.failed', modelId: id, error: (error as Error).message, at: Date.now() });
    }
  };

  const stopPool = (entry: ModelEntryRuntime) => {
    const supervisor = entry.supervisor;
    entry.stopping = (async () => {
      try {
        await supervisor?.stop();
      } catch (error) {
        logger.log('ERROR', `model ${entry.model.id}: stopping its pool failed: ${String(error)}`);
      }
      if (supervisor) retired = addStats(retired, { ...supervisor.stats(), queueDepth: 0, inFlight: 0 });
      entry.stopSubscription?.();
      entry.stopSubscription = null;
      entry.supervisor = null;
      entry.stopping = null;
      tell({ type: 'pool.stopped', modelId: entry.model.id, at: Date.now() });
    })();
  };

  table.on('*', (event) => {
    const entry = entries.get(event.modelId);
    if (!entry) return;
    switch (event.type) {
      case 'pool.start':
        // After the table's step: the pool's own events then find the table ready for them.
        queueMicrotask(() => startPool(entry));
        break;
      case 'pool.stop':
        queueMicrotask(() => stopPool(entry));
        break;
      case 'model.admitted':
        for (const waiter of entry.waiters.splice(0, event.count)) waiter.admit();
        break;
      case 'model.rejected':
        for (const waiter of entry.waiters.splice(0, event.count)) waiter.reject(new WorkerRequestError(`The model "${event.modelId}" could not start: ${event.error}`, false));
        break;
      case 'model.loading':
        logger.log('INFO', `model ${event.modelId}: starting its workers`);
        break;
      case 'model.unloading':
        logger.log('INFO', `model ${event.modelId}: unloading (${event.reason === 'ttl' ? `idle for its ttl_s ${entry.model.ttlMs! / 1000}` : event.reason === 'exclusive' ? `another model of exclusive group "${entry.model.exclusive}" is wanted` : 'admin'})`);
        break;
      case 'model.unloaded':
        logger.log('INFO', `model ${event.modelId}: unloaded, every process of it has ended`);
        break;
    }
    for (const listener of modelListeners) listener(event);
  });

  // The model a request names: any name reaches the only model; with several, an unknown one is a 404.
  const resolve = (name: string | undefined): ModelEntryRuntime => {
    if (entries.size === 1 || name === undefined) return first;
    const entry = byName.get(name);
    if (!entry) throw new ModelNotFoundError(name, [...byName.keys()]);
    return entry;
  };

  const waiting = () => [...entries.values()].reduce((n, e) => n + e.waiters.length, 0);

  // Resolves once the model's table admits the request (at once when it serves).
  const admit = (entry: ModelEntryRuntime, signal: CancelSignal): Promise<void> => {
    if (closed) return Promise.reject(new ShuttingDownError());
    if (phaseOf(entry.model.id).phase !== 'serving' && waiting() >= options.queueSize) {
      return Promise.reject(new QueueFullError(waiting(), retryAfterS(options.queueWaitMs)));
    }
    return waitForAdmission(entry, signal, options.queueWaitMs, tell);
  };

  const local = (id: string) => {
    const parts = splitWorkerId(id);
    const entry = parts ? entries.get(parts.modelId) : undefined;
    if (!parts || !entry?.supervisor) throw new NotFoundError(`No worker with id "${id}" (workers: ${allWorkerIds().join(', ') || 'none loaded'})`);
    return { entry, supervisor: entry.supervisor, workerId: parts.workerId };
  };
  const allWorkerIds = () => [...entries.values()].flatMap((e) => (e.supervisor ? e.supervisor.workers.map((w) => globalWorkerId(e.model.id, w)) : []));
  const modelEntry = (id: string) => {
    const entry = entries.get(id);
    if (!entry) throw new NotFoundError(`No model with id "${id}" (models: ${[...entries.keys()].join(', ')})`);
    return entry;
  };

  return {
    /** The workers of the models loaded now, `<model>:<worker>`. */
    get workers(): string[] {
      return allWorkerIds();
    },
    /** The same, as the gateway asks a single pool for them. */
    workerIds: (): string[] => allWorkerIds(),
    start(): void {
      table.start();
    },
    pid(workerId: string): number | null {
      const { supervisor, workerId: localId } = local(workerId);
      return supervisor.pid(localId);
    },
    async dispatch(body: ChatRequestBody, signal: CancelSignal, avoid?: { workerId: string; run: number }, dispatchOptions: DispatchOptions = {}): Promise<Dispatch> {
      const entry = resolve(body.model);
      const id = entry.model.id;
      await admit(entry, signal);
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        tell({ type: 'request.ended', modelId: id, at: Date.now() });
      };
      try {
        const supervisor = entry.supervisor!;
        const parts = avoid ? splitWorkerId(avoid.workerId) : null;
        const localAvoid = parts && parts.modelId === id ? { workerId: parts.workerId, run: avoid!.run } : undefined;
        const dispatch = await supervisor.dispatch(body, signal, localAvoid, dispatchOptions);
        return { ...dispatch, workerId: globalWorkerId(id, dispatch.workerId), events: endingWith(dispatch.events, end) };
      } catch (error) {
        end();
        throw error;
      }
    },
    /** An upstream answer to another endpoint (embeddings, count_tokens) from the model the body names (its
     * `model`, an alias, or the first model): null when that model's driver does not forward (not
     * openai-http). A model that is not serving is waited for like a chat request (started if unloaded,
     * queue_wait_ms); an unknown name with several models is a 404. */
    forward(path: string, body: string, signal: AbortSignal): Promise<Response> | null {
      const entry = resolve(requestedModel(body));
      if (entry.model.config.driver !== 'openai-http') return null;
      const id = entry.model.id;
      const cancel = cancelSignalOf(signal);
      return (async () => {
        await admit(entry, cancel);
        try {
          await waitForAcceptingWorker(entry.supervisor!, cancel, options.queueWaitMs);
          const answer = entry.supervisor?.forward(path, body, signal) ?? null;
          if (!answer) throw new WorkerRequestError(`No worker of the model "${id}" accepts requests now`, true);
          return await answer;
        } finally {
          tell({ type: 'request.ended', modelId: id, at: Date.now() });
        }
      })();
    },
    /** The driver of the model a request names (an id or an alias; any name with a single model); null for an unknown name. */
    driverOf(name: string | undefined): string | null {
      const entry = entries.size === 1 || name === undefined ? first : byName.get(name);
      return entry?.model.config.driver ?? null;
    },
    command(workerId: string, command: WorkerCommand): WorkerSnapshot {
      const { supervisor, workerId: localId } = local(workerId);
      return supervisor.command(localId, command);
    },
    snapshots(): Array<{ id: string; snapshot: WorkerSnapshot; inFlight: number }> {
      return [...entries.values()].flatMap((e) => (e.supervisor ? e.supervisor.snapshots().map((w) => ({ ...w, id: globalWorkerId(e.model.id, w.id) })) : []));
    },
    snapshotOf(workerId: string): WorkerSnapshot | undefined {
      const parts = splitWorkerId(workerId);
      return parts ? entries.get(parts.modelId)?.supervisor?.snapshotOf(parts.workerId) : undefined;
    },
    /** Every model id and alias, in the table's order (the first is the default model). */
    models(): string[] {
      return [...byName.keys()];
    },
    stats(): Stats {
      let total = { ...retired, queueDepth: waiting() };
      for (const e of entries.values()) if (e.supervisor) total = addStats(total, e.supervisor.stats());
      return total;
    },
    subscribe(listener: (event: SupervisorEvent) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** The table's own events: a model loading, admitted requests, unloading, unloaded. */
    subscribeModels(listener: (event: ModelsEmitted) => void): () => void {
      modelListeners.add(listener);
      return () => modelListeners.delete(listener);
    },
    /** Each model as /health and /ui show it. */
    modelViews(): ModelView[] {
      return table.getSnapshot().context.models.map((row) => {
        const entry = entries.get(row.id)!;
        return {
          id: row.id,
          aliases: entry.model.aliases,
          phase: row.phase,
          exclusive: row.exclusive,
          ttl_s: row.ttlMs === null ? null : row.ttlMs / 1000,
          start: row.start,
          waiting: row.waiting,
          in_flight: row.inFlight,
          driver: entry.model.config.driver,
          workers: entry.supervisor ? entry.supervisor.workers.map((w) => globalWorkerId(row.id, w)) : [],
        };
      });
    },
    /** A model's pool (its supervisor) while it is loaded; null while it is unloaded. */
    supervisorOf(modelId: string): Supervisor | null {
      return modelEntry(modelId).supervisor;
    },
    /** The table's snapshot (the models machine). */
    table: () => table.getSnapshot(),
    /** Some model can take a request: one serves with a worker accepting, or one is unloaded and starts on demand. */
    canServe(): boolean {
      return table.getSnapshot().context.models.some((row) => {
        if (row.phase === 'unloaded') return true;
        const supervisor = entries.get(row.id)!.supervisor;
        return row.phase === 'serving' && !!supervisor?.snapshots().some((w) => w.snapshot.hasTag('accepting'));
      });
    },
    /** POST /admin/models/:id/unload: the model drains and stops (if it serves). */
    unload(modelId: string): string {
      modelEntry(modelId);
      tell({ type: 'model.unload', modelId, at: Date.now() });
      return phaseOf(modelId).phase;
    },
    /** restart / drain / recover every worker of one model; the ids of the workers told. */
    commandModel(modelId: string, command: WorkerCommand): string[] {
      const entry = modelEntry(modelId);
      if (!entry.supervisor) throw new NotFoundError(`The model "${modelId}" is not loaded (phase ${phaseOf(modelId).phase}): it has no workers to ${command}`);
      const told: string[] = [];
      for (const { id, snapshot } of entry.supervisor.snapshots()) {
        if (command === 'recover' && !snapshot.hasTag('unavailable')) continue;
        entry.supervisor.command(id, command);
        told.push(globalWorkerId(modelId, id));
      }
      return told;
    },
    idle(): Promise<void> {
      return Promise.all([...entries.values()].map((e) => e.supervisor?.idle())).then(() => undefined);
    },
    closeQueue(): void {
      closed = true;
      for (const entry of entries.values()) {
        for (const waiter of entry.waiters.splice(0)) waiter.reject(new ShuttingDownError());
        entry.supervisor?.closeQueue();
      }
    },
    async stop(): Promise<void> {
      this.closeQueue();
      tell({ type: 'stop' });
      await Promise.all([...entries.values()].map(async (e) => {
        await e.stopping;
        await e.supervisor?.stop();
      }));
    },
  };
}

export type ModelsSupervisor = ReturnType<typeof createModelsSupervisor>;
