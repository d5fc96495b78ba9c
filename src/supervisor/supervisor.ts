import { randomUUID } from 'node:crypto';
import { createActor, type ActorRefFrom, type InspectionEvent, type Observer, type SnapshotFrom } from 'xstate';
import type { LifecyclePolicy } from '../../machines/policy/policy.js';
import { poolMachine } from '../../machines/pool-machine.js';
import type { PoolPolicy } from '../../machines/pool-types.js';
import { workerMachine, type WorkerMachine } from '../../machines/worker-machine.js';
import type { WorkerEmitted } from '../../machines/worker-types.js';
import type { AnswerEvent, ChatRequestBody, Driver } from '../drivers/driver.js';
import { NotFoundError } from '../errors.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { createConversationRouting, type RoutedRequest } from './conversation-routing.js';
import { createRouter } from './router.js';
import { workerActors } from './worker-actors.js';
import { createWorkerRuntime, type WorkerRuntime } from './worker-runtime.js';
import { streamAnswer } from './stream-answer.js';

export interface SupervisorConfig {
  /** Processes that serve (--workers). */
  workers: number;
  /** Clean spares kept ahead of need (--standby); default 0. */
  standby?: number;
  isolation?: PoolPolicy['isolation'];
  sessionIdleMs?: number;
  driver: Driver;
  policy: LifecyclePolicy;
  queueSize: number;
  queueWaitMs: number;
  memoryPollMs?: number;
  activityThrottleMs?: number;
  logger?: Logger;
  /** An XState inspector (--inspect): sees every actor event of the pool and its workers. */
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
  | { type: 'request.done'; workerId: string; durationMs: number; ok: boolean; snapshot: WorkerSnapshot }
  /** `queued`: the request waited for a process (none could take it when it arrived). */
  | { type: 'routed'; workerId: string; result: 'continued' | 'new' | 'lost'; queued: boolean; waitedMs: number }
  | { type: 'recycled'; workerId: string; reason: 'idle' | 'lru' };

export interface Dispatch {
  workerId: string;
  /** The worker's run (process generation) that took the request. */
  run: number;
  requestId: string;
  events: AsyncIterable<AnswerEvent>;
  /** The gateway saw no answer event for its idle timeout: the worker is wedged, restart it. */
  stalled(): void;
}

export interface DispatchOptions {
  /** The conversation's name from the client (X-Session-Id); prompt_cache_key in the body also names it. */
  sessionKey?: string | null;
}

export type WorkerCommand = 'restart' | 'drain' | 'recover';

export interface SupervisedWorker {
  id: string;
  actor: ActorRefFrom<WorkerMachine>;
  runtime: WorkerRuntime;
  state: string | null;
  /** Requests this supervisor has handed to the worker and not yet seen end. Counted here, not
   * read from the machine: the router may claim slots while the actor is still processing. */
  leases: number;
}

export function topLevelState(snapshot: WorkerSnapshot): string {
  const value = snapshot.value;
  return typeof value === 'string' ? value : Object.keys(value)[0]!;
}

const summaryOf = (worker: SupervisedWorker) => {
  const snapshot = worker.actor.getSnapshot();
  const tag = snapshot.hasTag('accepting') ? 'accepting' : snapshot.hasTag('unavailable') ? 'unavailable' : 'waiting';
  return { tag, run: snapshot.context.run, stateful: snapshot.context.stateful, inFlight: snapshot.context.inFlight } as const;
};

// The one owner of the actors: the pool machine and, as its children, one worker machine per
// process. start, stop, snapshot, subscribe, and dispatch — the gateway's only door to a worker.
export function createSupervisor(config: SupervisorConfig, machine: WorkerMachine = workerMachine) {
  const logger = config.logger ?? silentLogger;
  const listeners = new Set<(event: SupervisorEvent) => void>();
  const publish = (event: SupervisorEvent) => {
    for (const listener of listeners) listener(event);
  };
  const standby = config.standby ?? 0;
  const ids = Array.from({ length: config.workers + standby }, (_, index) => `w${index + 1}`);

  const runtimes = new Map(
    ids.map((id) => [
      id,
      createWorkerRuntime({
        workerId: id,
        driver: config.driver,
        logger,
        stopGraceMs: config.policy.stopGraceMs,
        memoryPollMs: config.memoryPollMs ?? 1000,
        activityThrottleMs: config.activityThrottleMs ?? Math.min(1000, Math.max(10, config.policy.wedgeTimeoutMs / 10)),
        onSpawned: (pid, run) => publish({ type: 'spawned', workerId: id, pid, run }),
        onReady: (info, pid, run) => publish({ type: 'ready', workerId: id, pid, run, models: info.models }),
      }),
    ]),
  );
  const pool = createActor(
    poolMachine.provide({ actors: { worker: machine.provide({ actors: workerActors((id) => runtimes.get(id)!) }) } }),
    {
      input: {
        policy: { workers: config.workers, standby, isolation: config.isolation ?? 'isolated', sessionIdleMs: config.sessionIdleMs ?? 600_000 },
        workers: ids.map((workerId) => ({
          workerId,
          policy: config.policy,
          seed: Math.floor(Math.random() * 2 ** 31),
          workerCount: ids.length,
          isolation: config.isolation ?? 'isolated',
        })),
      },
      ...(config.inspect ? { inspect: config.inspect } : {}),
    },
  );

  let workers: SupervisedWorker[] = [];
  const stats = { totalRequests: 0, totalErrors: 0, startedAt: Date.now() };
  const router = createRouter({
    queueSize: config.queueSize,
    queueWaitMs: config.queueWaitMs,
    allUnavailable: () => workers.length > 0 && workers.every((w) => w.actor.getSnapshot().hasTag('unavailable')),
  });
  const routing = createConversationRouting({
    pool,
    workers: () => workers,
    claim: ({ worker, request }) => {
      worker.leases += 1;
      worker.actor.send({ type: 'request.started', requestId: request.requestId });
    },
    onCleanWanted: (count) => pool.send({ type: 'clean.wanted', count, at: Date.now() }),
  });

  let peersAccepting = new Map<string, number>();
  const summaries = new Map<string, string>();

  const onChange = (worker: SupervisedWorker) => {
    const snapshot = worker.actor.getSnapshot();
    const state = topLevelState(snapshot);
    if (state !== worker.state) {
      const from = worker.state;
      worker.state = state;
      publish({ type: 'transition', workerId: worker.id, from, to: state, snapshot });
    }
    publish({ type: 'snapshot', workerId: worker.id, snapshot });
    const summary = summaryOf(worker);
    const key = `${summary.tag}/${summary.run}/${summary.stateful}/${summary.inFlight}`;
    if (summaries.get(worker.id) !== key) {
      summaries.set(worker.id, key);
      pool.send({ type: 'worker.changed', slotId: worker.id, ...summary });
    }
    // Each worker learns how many of its peers accept, for handovers before a proactive restart.
    const accepting = (w: SupervisedWorker) => w.actor.getSnapshot().hasTag('accepting');
    const next = new Map(workers.map((w) => [w.id, workers.filter((p) => p !== w && accepting(p)).length]));
    for (const w of workers) {
      if (peersAccepting.get(w.id) !== next.get(w.id) && w.actor.getSnapshot().status === 'active') {
        peersAccepting.set(w.id, next.get(w.id)!);
        w.actor.send({ type: 'peers.updated', accepting: next.get(w.id)! });
      }
    }
    peersAccepting = next;
    router.pump();
  };

  const find = (id: string) => {
    const worker = workers.find((w) => w.id === id);
    if (!worker) throw new NotFoundError(`No worker with id "${id}" (workers: ${ids.join(', ')})`);
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

  return {
    workers: ids,
    start(): void {
      pool.on('slot.recycled', (event) => publish({ type: 'recycled', workerId: event.slotId, reason: event.reason }));
      pool.start();
      workers = ids.map((id) => ({
        id,
        actor: pool.system.get(id) as ActorRefFrom<WorkerMachine>,
        runtime: runtimes.get(id)!,
        state: null,
        leases: 0,
      }));
      for (const worker of workers) {
        worker.actor.subscribe({ next: () => onChange(worker), error: (error) => logger.log('ERROR', `worker ${worker.id} machine failed: ${String(error)}`) });
        worker.actor.on('*', (event) => publish({ type: 'lifecycle', workerId: worker.id, event }));
      }
      for (const worker of workers) onChange(worker);
    },
    /** Waits for a worker (queue), then streams its answer; the stream ends with one `done`. */
    /** `avoid`: a worker run that just failed this request; a re-dispatch waits for another. */
    async dispatch(body: ChatRequestBody, signal: AbortSignal, avoid?: { workerId: string; run: number }, options: DispatchOptions = {}): Promise<Dispatch> {
      stats.totalRequests += 1;
      const requestId = randomUUID();
      const request = routing.prepare(requestId, body, options.sessionKey ?? null);
      const started = Date.now();
      let routed: RoutedRequest;
      let arriving = true;
      let queued = true;
      try {
        const acquired = router.acquire(() => {
          const choice = routing.choose(request, avoid);
          if (choice && arriving) queued = false;
          return choice;
        }, signal);
        arriving = false;
        routed = await acquired;
      } catch (error) {
        routing.forget(request);
        stats.totalErrors += 1;
        throw error;
      }
      const { worker, run } = routed;
      publish({ type: 'routed', workerId: worker.id, result: routed.result, queued, waitedMs: Date.now() - started });
      const finish = leaseOf(worker, run, requestId);
      const stalled = () => {
        const snapshot = worker.actor.getSnapshot();
        if (snapshot.context.run === run && snapshot.status === 'active') worker.actor.send({ type: 'request.stalled', requestId });
      };
      const events = streamAnswer({
        session: () => worker.runtime.session(run),
        workerId: worker.id,
        requestId,
        body,
        signal,
        turn: routed.turn,
        finish,
        answered: (answer) => routing.answered(routed, answer),
      });
      return { workerId: worker.id, run, requestId, events, stalled };
    },
    command(workerId: string, command: WorkerCommand): WorkerSnapshot {
      const worker = find(workerId);
      worker.actor.send({ type: command });
      return worker.actor.getSnapshot();
    },
    snapshots(): Array<{ id: string; snapshot: WorkerSnapshot }> {
      return workers.map((w) => ({ id: w.id, snapshot: w.actor.getSnapshot() }));
    },
    /** The pool's own snapshot: its policy, the conversation table and the route counts. */
    pool() {
      return pool.getSnapshot();
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
      pool.send({ type: 'stop' });
      await Promise.all([...runtimes.values()].map((runtime) => runtime.settled()));
    },
  };
}

export type Supervisor = ReturnType<typeof createSupervisor>;
