import { randomUUID } from 'node:crypto';
import { createActor, type Actor, type InspectionEvent, type Observer, type SnapshotFrom } from 'xstate';
import type { LifecyclePolicy } from '../../machines/policy/policy.js';
import { workerMachine, type WorkerMachine } from '../../machines/worker-machine.js';
import type { WorkerEmitted } from '../../machines/worker-types.js';
import type { AnswerEvent, ChatRequestBody, Driver } from '../drivers/driver.js';
import { NotFoundError, WorkerCrashedError } from '../errors.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { createRouter } from './router.js';
import { createWorkerRuntime, type WorkerRuntime } from './worker-runtime.js';

export interface SupervisorConfig {
  workers: number;
  driver: Driver;
  policy: LifecyclePolicy;
  queueSize: number;
  queueWaitMs: number;
  memoryPollMs?: number;
  activityThrottleMs?: number;
  logger?: Logger;
  /** An XState inspector (--inspect): sees every actor event of every worker. */
  inspect?: InspectionObserver;
}

export type WorkerSnapshot = SnapshotFrom<WorkerMachine>;
export type InspectionObserver = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

export type SupervisorEvent =
  | { type: 'transition'; workerId: string; from: string | null; to: string; snapshot: WorkerSnapshot }
  | { type: 'snapshot'; workerId: string; snapshot: WorkerSnapshot }
  | { type: 'lifecycle'; workerId: string; event: WorkerEmitted }
  | { type: 'spawned'; workerId: string; pid: number; run: number }
  | { type: 'ready'; workerId: string; pid: number | null; run: number; models: string[] }
  | { type: 'request.done'; workerId: string; durationMs: number; ok: boolean; snapshot: WorkerSnapshot };

export interface Dispatch {
  workerId: string;
  /** The worker's run (process generation) that took the request. */
  run: number;
  requestId: string;
  events: AsyncIterable<AnswerEvent>;
  /** The gateway saw no answer event for its idle timeout: the worker is wedged, restart it. */
  stalled(): void;
}

export type WorkerCommand = 'restart' | 'drain' | 'recover';

interface SupervisedWorker {
  id: string;
  actor: Actor<WorkerMachine>;
  runtime: WorkerRuntime;
  state: string | null;
  /** Requests this supervisor has handed to the worker and not yet seen end. Counted here, not
   * read from the machine: the router may claim slots while the actor is still processing. */
  leases: number;
  accepting(): boolean;
  unavailable(): boolean;
  inFlight(): number;
  maxConcurrency(): number;
}

export function topLevelState(snapshot: WorkerSnapshot): string {
  const value = snapshot.value;
  return typeof value === 'string' ? value : Object.keys(value)[0]!;
}

// The one owner of the worker actors: start, stop, snapshot, subscribe, and dispatch — the
// gateway's only door to a worker.
export function createSupervisor(config: SupervisorConfig, machine: WorkerMachine = workerMachine) {
  const logger = config.logger ?? silentLogger;
  const listeners = new Set<(event: SupervisorEvent) => void>();
  const publish = (event: SupervisorEvent) => {
    for (const listener of listeners) listener(event);
  };

  const workers: SupervisedWorker[] = Array.from({ length: config.workers }, (_, index) => {
    const id = `w${index + 1}`;
    const runtime = createWorkerRuntime({
      workerId: id,
      driver: config.driver,
      logger,
      stopGraceMs: config.policy.stopGraceMs,
      memoryPollMs: config.memoryPollMs ?? 1000,
      activityThrottleMs: config.activityThrottleMs ?? Math.min(1000, Math.max(10, config.policy.wedgeTimeoutMs / 10)),
      onSpawned: (pid, run) => publish({ type: 'spawned', workerId: id, pid, run }),
      onReady: (info, pid, run) => publish({ type: 'ready', workerId: id, pid, run, models: info.models }),
    });
    const actor = createActor(machine.provide({ actors: runtime.actors }), {
      input: {
        workerId: id,
        policy: config.policy,
        seed: Math.floor(Math.random() * 2 ** 31),
        workerCount: config.workers,
      },
      ...(config.inspect ? { inspect: config.inspect } : {}),
    });
    const snap = () => actor.getSnapshot();
    const worker: SupervisedWorker = {
      id,
      actor,
      runtime,
      state: null,
      leases: 0,
      accepting: () => snap().hasTag('accepting'),
      unavailable: () => snap().hasTag('unavailable'),
      inFlight: () => worker.leases,
      maxConcurrency: () => snap().context.maxConcurrency,
    };
    return worker;
  });

  const router = createRouter(workers, { queueSize: config.queueSize, queueWaitMs: config.queueWaitMs });
  const stats = { totalRequests: 0, totalErrors: 0, startedAt: Date.now() };
  let peersAccepting = new Map<string, number>();

  const onChange = (worker: SupervisedWorker) => {
    const snapshot = worker.actor.getSnapshot();
    const state = topLevelState(snapshot);
    if (state !== worker.state) {
      const from = worker.state;
      worker.state = state;
      publish({ type: 'transition', workerId: worker.id, from, to: state, snapshot });
    }
    publish({ type: 'snapshot', workerId: worker.id, snapshot });
    // Each worker learns how many of its peers accept, for rolling proactive restarts (SPEC §6).
    const next = new Map(workers.map((w) => [w.id, workers.filter((p) => p !== w && p.accepting()).length]));
    for (const w of workers) {
      if (peersAccepting.get(w.id) !== next.get(w.id) && w.actor.getSnapshot().status === 'active') {
        peersAccepting.set(w.id, next.get(w.id)!);
        w.actor.send({ type: 'peers.updated', accepting: next.get(w.id)! });
      }
    }
    peersAccepting = next;
    router.pump();
  };

  for (const worker of workers) {
    worker.actor.subscribe({ next: () => onChange(worker), error: (error) => logger.log('ERROR', `worker ${worker.id} machine failed: ${String(error)}`) });
    worker.actor.on('*', (event) => publish({ type: 'lifecycle', workerId: worker.id, event }));
  }

  const find = (id: string) => {
    const worker = workers.find((w) => w.id === id);
    if (!worker) throw new NotFoundError(`No worker with id "${id}" (workers: ${workers.map((w) => w.id).join(', ')})`);
    return worker;
  };

  // The lease a dispatch takes on a worker slot, given back exactly once however the answer ends.
  const leaseOf = (worker: SupervisedWorker, run: number, requestId: string) => {
    const started = Date.now();
    let finished = false;
    return (ok: boolean) => {
      if (finished) return;
      finished = true;
      worker.leases -= 1;
      if (!ok) stats.totalErrors += 1;
      const snapshot = worker.actor.getSnapshot();
      if (snapshot.context.run === run && snapshot.status === 'active') worker.actor.send({ type: 'request.finished', requestId });
      publish({ type: 'request.done', workerId: worker.id, durationMs: Date.now() - started, ok, snapshot: worker.actor.getSnapshot() });
      router.pump();
    };
  };

  async function* stream(worker: SupervisedWorker, run: number, requestId: string, body: ChatRequestBody, signal: AbortSignal, finish: (ok: boolean) => void): AsyncGenerator<AnswerEvent> {
    try {
      const session = worker.runtime.session(run);
      if (!session) throw new WorkerCrashedError(worker.id, false, 'exited');
      for await (const event of session.answer(requestId, body, signal)) {
        // A consumer may stop iterating right after `done`: the slot is free from here.
        if (event.type === 'done') finish(true);
        yield event;
      }
    } finally {
      finish(false);
    }
  }

  // The answer as an iterable whose return() gives the lease back even if iteration never began
  // (a generator's `finally` runs only once it has started).
  const answerOf = (generator: AsyncGenerator<AnswerEvent>, finish: (ok: boolean) => void): AsyncIterable<AnswerEvent> => ({
    [Symbol.asyncIterator]: () => ({
      next: () => generator.next(),
      return: async () => {
        finish(false);
        return generator.return(undefined);
      },
    }),
  });

  return {
    workers: workers.map((w) => w.id),
    start(): void {
      for (const worker of workers) worker.actor.start();
    },
    /** Waits for a worker (queue), then streams its answer; the stream ends with one `done`. */
    /** `avoid`: a worker run that just failed this request; a re-dispatch waits for another. */
    async dispatch(body: ChatRequestBody, signal: AbortSignal, avoid?: { workerId: string; run: number }): Promise<Dispatch> {
      stats.totalRequests += 1;
      const requestId = randomUUID();
      let run = 0;
      let worker: SupervisedWorker;
      try {
        worker = await router.acquire((chosen) => {
          chosen.leases += 1;
          run = chosen.actor.getSnapshot().context.run;
          chosen.actor.send({ type: 'request.started', requestId });
        }, signal, avoid ? (w) => !(w.id === avoid.workerId && w.actor.getSnapshot().context.run === avoid.run) : undefined);
      } catch (error) {
        stats.totalErrors += 1;
        throw error;
      }
      const finish = leaseOf(worker, run, requestId);
      const stalled = () => {
        const snapshot = worker.actor.getSnapshot();
        if (snapshot.context.run === run && snapshot.status === 'active') worker.actor.send({ type: 'request.stalled', requestId });
      };
      return { workerId: worker.id, run, requestId, events: answerOf(stream(worker, run, requestId, body, signal, finish), finish), stalled };
    },
    command(workerId: string, command: WorkerCommand): WorkerSnapshot {
      const worker = find(workerId);
      worker.actor.send({ type: command });
      return worker.actor.getSnapshot();
    },
    snapshots(): Array<{ id: string; snapshot: WorkerSnapshot }> {
      return workers.map((w) => ({ id: w.id, snapshot: w.actor.getSnapshot() }));
    },
    pid(workerId: string): number | null {
      return find(workerId).runtime.currentPid();
    },
    stats: () => ({ ...stats, queueDepth: router.depth() }),
    subscribe(listener: (event: SupervisorEvent) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** Stops taking requests (queued ones fail at once); in-flight requests keep going. */
    closeQueue(): void {
      router.close();
    },
    /** Ends every worker and resolves when no process of theirs is left. */
    async stop(): Promise<void> {
      router.close();
      for (const worker of workers) worker.actor.send({ type: 'stop' });
      await Promise.all(workers.map((w) => w.runtime.settled()));
    },
  };
}

export type Supervisor = ReturnType<typeof createSupervisor>;
