import { createActor, type ActorRefFrom } from 'xstate';
import type { LifecyclePolicy } from '../../machines/policy/policy.js';
import { poolMachine } from '../../machines/pool-machine.js';
import type { Isolation, PoolPolicy, RouteResult } from '../../machines/pool-types.js';
import { contextLevel } from '../../machines/policy/context-usage.js';
import { defaultMemoryBudgetBytes } from '../process/memory-budget.js';
import { workerMachine, type WorkerMachine } from '../../machines/worker-machine.js';
import type { ChatRequestBody, Driver } from '../drivers/driver.js';
import { NotFoundError } from '../errors.js';
import { ANONYMOUS_TENANT } from '../config/tenant-keys.js';
import type { CancelSignal } from '../util/cancellation.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { uniqueId } from '../util/unique-id.js';
import { createConversationRouting, requestDigest, type RoutedRequest } from './conversation-routing.js';
import { createRouter } from './router.js';
import { workerActors } from './worker-actors.js';
import { createWorkerRuntime, type WorkerRuntime } from './worker-runtime.js';
import { isOnRun, tagOf, topLevelState, type Dispatch, type DispatchOptions, type InspectionObserver, type SupervisedWorker, type SupervisorEvent, type WorkerCommand, type WorkerSnapshot } from './supervisor-types.js';
import { ContextReports } from './context-reports.js';
import { InFlight } from './in-flight.js';
import { streamAnswer, type AnswerLease } from './stream-answer.js';

export interface SupervisorConfig {
  /** Processes started at boot and kept at the least, with the spares (--workers). */
  workers: number;
  /** Clean spares kept ahead of need at the least (--standby); default 0. */
  standby?: number;
  /** Default `conversation`; `isolated` is read as `conversation`. */
  isolation?: Isolation | 'isolated';
  /** A tenant's own isolation (api_keys in the config file). */
  tenantIsolation?: Record<string, Isolation>;
  sessionIdleMs?: number;
  /** Processes at most (--max-processes); default 64. */
  maxProcesses?: number;
  /** The processes' memory budget in bytes (--memory-budget-mb); default: half the memory available now. */
  memoryBudgetBytes?: number;
  /** Processes starting at once at most (--spawn-concurrency); default 2. */
  spawnConcurrency?: number;
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

export type { Dispatch, DispatchFn, DispatchOptions, InspectionObserver, SupervisedWorker, SupervisorEvent, WorkerCommand, WorkerSnapshot } from './supervisor-types.js';
export { topLevelState } from './supervisor-types.js';

/** A process tree's memory is told to the pool when it moved by this much since last told. */
const MEMORY_STEP_BYTES = 1024 * 1024;

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
  const isolation: Isolation = config.isolation === 'isolated' || config.isolation === undefined ? 'conversation' : config.isolation;
  const policy: PoolPolicy = {
    workers: config.workers,
    standby,
    isolation,
    tenantIsolation: config.tenantIsolation ?? {},
    sessionIdleMs: config.sessionIdleMs ?? 600_000,
    maxProcesses: Math.max(config.maxProcesses ?? 64, ids.length),
    memoryBudgetBytes: config.memoryBudgetBytes ?? defaultMemoryBudgetBytes(),
    spawnConcurrency: config.spawnConcurrency ?? 2,
  };

  // One runtime per process id, made when the pool first spawns that id; dropped once a retired
  // process is gone.
  const runtimes = new Map<string, WorkerRuntime>();
  const runtimeOf = (id: string): WorkerRuntime => {
    let runtime = runtimes.get(id);
    if (!runtime) {
      runtime = createWorkerRuntime({
        workerId: id,
        driver: config.driver,
        logger,
        stopGraceMs: config.policy.stopGraceMs,
        memoryPollMs: config.memoryPollMs ?? 1000,
        activityThrottleMs: config.activityThrottleMs ?? Math.min(1000, Math.max(10, config.policy.wedgeTimeoutMs / 10)),
        onSpawned: (pid, run) => publish({ type: 'spawned', workerId: id, pid, run }),
        onReady: (info, pid, run) => publish({ type: 'ready', workerId: id, pid, run, models: info.models }),
        onContext: (report, run) => workers.find((w) => w.id === id)?.contextReports.reported(report, run),
        onParked: (count, run) => {
          const worker = workers.find((w) => w.id === id);
          if (worker) parkedCalls(worker, count, run);
        },
      });
      runtimes.set(id, runtime);
    }
    return runtime;
  };
  const pool = createActor(
    poolMachine.provide({ actors: { worker: machine.provide({ actors: workerActors(runtimeOf) }) } }),
    {
      input: {
        now: Date.now(),
        policy,
        workers: ids.map((workerId) => ({
          workerId,
          policy: config.policy,
          seed: Math.floor(Math.random() * 2 ** 31),
          workerCount: ids.length,
          // A process whose words are not shared restarts for its context only at the hard limit
          // (the pool recycles full lanes itself).
          isolation: isolation === 'shared' ? ('shared' as const) : ('isolated' as const),
        })),
      },
      ...(config.inspect ? { inspect: config.inspect } : {}),
    },
  );

  let workers: SupervisedWorker[] = [];
  let unavailable = 0;
  let leasesHeld = 0;
  let idleWaiters: Array<() => void> = [];
  let models: string[] | null = null;
  const stats = { totalRequests: 0, totalErrors: 0, startedAt: Date.now(), routes: { continued: 0, new: 0, lost: 0, moved: 0 } as Record<RouteResult, number> };
  const router = createRouter({
    queueSize: config.queueSize,
    queueWaitMs: config.queueWaitMs,
    allUnavailable: () => workers.length > 0 && unavailable === workers.length,
  });
  const routing = createConversationRouting({
    pool,
    workers: () => workers,
    claim: ({ worker, run, exclusive }) => {
      if (exclusive) worker.exclusive = true;
      worker.leases += 1;
      leasesHeld += 1;
      worker.inFlight.began(run);
    },
  });

  // Each worker learns how many of its peers accept, for handovers before a proactive restart. The
  // count is taken anew for each worker: telling one may make it drain at once, and a nested call
  // has then told the others already — a count from before would undo that.
  const tellPeers = () => {
    for (const w of workers) {
      const peers = workers.filter((p) => p !== w && p.told.tag === 'accepting').length;
      if (w.told.peers !== peers && w.actor.getSnapshot().status === 'active') {
        w.told.peers = peers;
        w.actor.send({ type: 'peers.updated', accepting: peers });
      }
    }
  };

  const onChange = (worker: SupervisedWorker) => {
    const snapshot = worker.actor.getSnapshot();
    const state = topLevelState(snapshot);
    if (state !== worker.state) {
      const from = worker.state;
      worker.state = state;
      publish({ type: 'transition', workerId: worker.id, from, to: state, snapshot });
    }
    publish({ type: 'snapshot', workerId: worker.id, snapshot });
    if (snapshot.context.models !== worker.models) {
      worker.models = snapshot.context.models;
      models = null;
    }
    const told = worker.told;
    const tag = tagOf(snapshot);
    const { run, stateful, busy, usage, limits, policy: workerPolicy, rssBytes } = snapshot.context;
    const full = contextLevel(usage, limits, workerPolicy.proactiveRestartPct) !== 'ok';
    if (told.tag !== tag || told.run !== run || told.stateful !== stateful || told.busy !== busy || told.full !== full) {
      const tagChanged = told.tag !== tag;
      if (tagChanged) unavailable += (tag === 'unavailable' ? 1 : 0) - (told.tag === 'unavailable' ? 1 : 0);
      Object.assign(told, { tag, run, stateful, busy, full });
      routing.tell({ type: 'worker.changed', slotId: worker.id, tag, run, stateful, busy, full, at: Date.now() });
      if (tagChanged) tellPeers();
    }
    // The pool's budget counts each process tree's memory, told when it moved by a MiB or more.
    if (rssBytes !== null && Math.abs(rssBytes - told.rssBytes) >= MEMORY_STEP_BYTES) {
      told.rssBytes = rssBytes;
      routing.tell({ type: 'worker.measured', slotId: worker.id, rssBytes, at: Date.now() });
    }
    router.pump();
  };

  // Client tool calls a process waits on keep it busy to its machine (idle and wedge timers, the pool's
  // recycling) without taking a lease: the continuation that brings their results must reach it.
  const parkedCalls = (worker: SupervisedWorker, count: number, run: number) => {
    const held = worker.parked;
    worker.parked = { count, run };
    if (count > 0 && held.count === 0) worker.inFlight.began(run);
    else if (count === 0 && held.count > 0) worker.inFlight.ended(held.run);
    publish({ type: 'snapshot', workerId: worker.id, snapshot: worker.actor.getSnapshot() });
  };

  const find = (id: string) => {
    const worker = workers.find((w) => w.id === id);
    if (!worker) throw new NotFoundError(`No worker with id "${id}" (workers: ${workers.map((w) => w.id).join(', ')})`);
    return worker;
  };

  // The facade follows the pool's processes: a slot the pool spawned is watched from its first
  // snapshot; a retired one is dropped (its runtime once its process is gone).
  const attach = (id: string) => {
    const actor = pool.system.get(id) as ActorRefFrom<WorkerMachine> | undefined;
    if (!actor) return;
    const worker: SupervisedWorker = {
      id,
      actor,
      runtime: runtimeOf(id),
      state: null,
      leases: 0,
      parked: { count: 0, run: 0 },
      inFlight: new InFlight(actor),
      contextReports: new ContextReports(actor),
      told: { tag: null, run: 0, stateful: false, busy: false, full: false, rssBytes: 0, peers: 0 },
      models: [],
      exclusive: false,
      reservedFor: null,
    };
    workers = [...workers, worker];
    actor.subscribe({ next: () => onChange(worker), error: (error) => logger.log('ERROR', `worker ${id} machine failed: ${String(error)}`) });
    actor.on('*', (event) => publish({ type: 'lifecycle', workerId: id, event }));
    onChange(worker);
  };
  const detach = (id: string) => {
    const worker = workers.find((w) => w.id === id);
    if (!worker) return;
    workers = workers.filter((w) => w !== worker);
    if (worker.told.tag === 'unavailable') unavailable -= 1;
    models = null;
    const runtime = worker.runtime;
    void runtime.settled().then(() => {
      if (!pool.getSnapshot().context.slots.some((slot) => slot.id === id)) runtimes.delete(id);
    });
    tellPeers();
  };

  // The lease a dispatch takes on a worker slot, given back exactly once however the answer ends.
  const lease = (routed: RoutedRequest, requestId: string): AnswerLease => {
    const { worker, run } = routed;
    let finished = false;
    return {
      session: () => worker.runtime.session(run),
      answered: (answer) => routing.answered(routed, answer),
      finish: (ok) => {
        if (finished) return;
        finished = true;
        if (routed.exclusive) worker.exclusive = false;
        worker.leases -= 1;
        leasesHeld -= 1;
        if (!ok) stats.totalErrors += 1;
        worker.inFlight.ended(run);
        if (leasesHeld === 0 && idleWaiters.length > 0) {
          for (const resolve of idleWaiters) resolve();
          idleWaiters = [];
        }
        router.pump();
      },
      stalled: () => {
        if (isOnRun(worker.actor.getSnapshot(), run)) worker.actor.send({ type: 'request.stalled', requestId });
      },
    };
  };

  let started = false;
  const spawned: string[] = [];
  return {
    /** The processes started at boot (the pool adds and stops others as it goes: workerIds()). */
    workers: ids,
    /** The ids of the processes the pool has now. */
    workerIds: (): string[] => workers.map((w) => w.id),
    start(): void {
      pool.on('slot.recycled', (event) => publish({ type: 'recycled', workerId: event.slotId, reason: event.reason }));
      // A spawned child is attached once the pool's step that spawned it is over (its actor exists).
      pool.on('slot.spawned', (event) => {
        if (started) spawned.push(event.slotId);
        publish({ type: 'pool.spawned', workerId: event.slotId, reason: event.reason });
      });
      pool.on('slot.retired', (event) => {
        publish({ type: 'retired', workerId: event.slotId, reason: event.reason });
        detach(event.slotId);
      });
      pool.subscribe(() => {
        while (spawned.length > 0) attach(spawned.shift()!);
      });
      pool.start();
      started = true;
      for (const id of ids) attach(id);
    },
    /** Waits for a worker (queue), then streams its answer; the stream ends with one `done`. */
    /** `avoid`: a worker run that just failed this request; a re-dispatch waits for another. */
    async dispatch(body: ChatRequestBody, signal: CancelSignal, avoid?: { workerId: string; run: number }, options: DispatchOptions = {}): Promise<Dispatch> {
      stats.totalRequests += 1;
      const requestId = uniqueId();
      const request = routing.prepare(requestId, body, options.sessionKey ?? null, options.tenant ?? ANONYMOUS_TENANT);
      const started = performance.now();
      const choose = () => routing.choose(request, avoid);
      let routed: RoutedRequest | null;
      let queued = false;
      try {
        routed = router.take(choose);
        if (routed === null) {
          queued = true;
          routed = await router.wait(choose, signal);
        }
      } catch (error) {
        routing.forget(request);
        stats.totalErrors += 1;
        throw error;
      }
      const { worker, run } = routed;
      stats.routes[routed.result] += 1;
      publish({ type: 'routed', workerId: worker.id, result: routed.result, tenant: request.tenant, lane: routed.lane, queued, waitedMs: queued ? performance.now() - started : 0 });
      const answer = lease(routed, requestId);
      const events = streamAnswer(answer, { workerId: worker.id, requestId, body, signal, turn: routed.turn, conversation: requestDigest(request), ...(options.onEvent ? { onEvent: options.onEvent } : {}) });
      return { workerId: worker.id, run, requestId, events, stalled: answer.stalled };
    },
    /** An accepting worker's upstream answer to another endpoint (openai-http); null when no worker's driver forwards. */
    forward(path: string, body: string, signal: AbortSignal): Promise<Response> | null {
      for (const worker of workers) {
        const snapshot = worker.actor.getSnapshot();
        const session = tagOf(snapshot) === 'accepting' ? worker.runtime.session(snapshot.context.run) : null;
        if (session?.forward) return session.forward(path, body, signal);
      }
      return null;
    },
    command(workerId: string, command: WorkerCommand): WorkerSnapshot {
      const worker = find(workerId);
      worker.actor.send({ type: command });
      return worker.actor.getSnapshot();
    },
    /** Every worker's snapshot (its latest context report told first), with the requests it is answering now. */
    snapshots(): Array<{ id: string; snapshot: WorkerSnapshot; inFlight: number; parkedToolCalls?: number }> {
      for (const w of workers) w.contextReports.flush();
      return workers.map((w) => ({ id: w.id, snapshot: w.actor.getSnapshot(), inFlight: w.leases, parkedToolCalls: isOnRun(w.actor.getSnapshot(), w.parked.run) ? w.parked.count : 0 }));
    },
    /** The models the workers announced, each once, in the workers' order. */
    models(): string[] {
      return (models ??= [...new Set(workers.flatMap((w) => w.models))]);
    },
    /** One worker's snapshot; undefined for an unknown id. */
    /** (As its machine knows it: a context report kept back is not forced, see context-reports.ts.) */
    snapshotOf(workerId: string): WorkerSnapshot | undefined {
      return workers.find((w) => w.id === workerId)?.actor.getSnapshot();
    },
    /** The pool's own snapshot: its policy and the conversation table. */
    pool() {
      routing.tellAnswers();
      return pool.getSnapshot();
    },
    pid(workerId: string): number | null {
      return find(workerId).runtime.currentPid();
    },
    stats: () => ({ ...stats, routes: { ...stats.routes }, queueDepth: router.depth(), inFlight: leasesHeld }),
    subscribe(listener: (event: SupervisorEvent) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** Resolves when no request is in flight (at once if none is). */
    idle(): Promise<void> {
      if (leasesHeld === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    /** Stops taking requests (queued ones fail at once); in-flight requests keep going. */
    closeQueue(): void {
      router.close();
    },
    /** Ends every worker and resolves when no process of theirs is left. */
    async stop(): Promise<void> {
      router.close();
      routing.tell({ type: 'stop' });
      while ([...runtimes.values()].length > 0) {
        const all = [...runtimes.values()];
        await Promise.all(all.map((runtime) => runtime.settled()));
        for (const [id, runtime] of runtimes) if (all.includes(runtime)) runtimes.delete(id);
      }
    },
  };
}

export type Supervisor = ReturnType<typeof createSupervisor>;
