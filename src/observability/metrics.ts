import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { workerMachine } from '../../machines/worker-machine.js';
import { isClean, memoryInUse, tenantOf } from '../../machines/policy/pool-capacity.js';
import type { RouteResult } from '../../machines/pool-types.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { topLevelState } from '../supervisor/supervisor.js';

/** The machine's top-level states, read from its definition. */
export const WORKER_STATES = Object.keys(workerMachine.root.states);

type MetricsSource = Pick<Supervisor, 'snapshots' | 'stats' | 'subscribe'> & Partial<Pick<Supervisor, 'pool'>>;

export interface MetricsOptions {
  /** Several models (issue #27): each worker's series carry a `model` label too. */
  modelOf?: (workerId: string) => string;
}

// The docs/operations.md metrics on a registry of their own (so several lifeguards can live in one process, as in
// tests); gauges read the snapshots at scrape time, counters follow the supervisor's events.
export function createMetrics(supervisor: MetricsSource, options: MetricsOptions = {}) {
  const registry = new Registry();
  const modelOf = options.modelOf;
  // A worker's labels: its id, and its model when there are several.
  const w = (worker: string) => (modelOf ? { worker, model: modelOf(worker) } : { worker });
  const workerLabels = (...more: string[]) => (modelOf ? ['worker', 'model', ...more] : ['worker', ...more]);
  collectDefaultMetrics({ register: registry });

  new Gauge({
    name: 'lifeguard_worker_state',
    help: 'The current lifecycle state of each worker (1 for exactly one state per worker)',
    labelNames: workerLabels('state'),
    registers: [registry],
    collect() {
      this.reset();
      for (const { id, snapshot } of supervisor.snapshots()) {
        const current = topLevelState(snapshot);
        for (const state of WORKER_STATES) this.set({ ...w(id), state }, state === current ? 1 : 0);
      }
    },
  });
  const restarts = new Counter({
    name: 'lifeguard_restarts_total',
    help: 'Worker restarts, by reason (crash, clean_exit, proactive, hard_limit, memory, wedge, admin_restart, …)',
    labelNames: workerLabels('reason'),
    registers: [registry],
  });
  const exits = new Counter({
    name: 'lifeguard_worker_exits_total',
    help: 'Worker process exits, by class (clean, crash, requested)',
    labelNames: workerLabels('class'),
    registers: [registry],
  });
  // Counts of every request are kept as plain numbers and handed to prom-client when it is scraped (a
  // prom-client counter hashes its labels on every inc, several times a request).
  const requestCounts = new Map<number, number>();
  new Counter({
    name: 'lifeguard_requests_total',
    help: 'Requests to every answer API (chat completions, completions, Responses, Messages, embeddings, count_tokens), by HTTP status code',
    labelNames: ['code'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [code, count] of requestCounts) this.inc({ code: String(code) }, count);
    },
  });
  const duration = new Histogram({
    name: 'lifeguard_request_duration_seconds',
    help: 'Duration of those requests, from the request to the last byte of the response',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  new Gauge({
    name: 'lifeguard_queue_depth',
    help: 'Requests waiting for a worker',
    registers: [registry],
    collect() {
      this.set(supervisor.stats().queueDepth);
    },
  });
  new Gauge({
    name: 'lifeguard_in_flight',
    help: 'Requests being answered by workers',
    registers: [registry],
    collect() {
      this.set(supervisor.stats().inFlight);
    },
  });
  new Gauge({
    name: 'lifeguard_context_tokens',
    help: "Context tokens the worker reported for its current run",
    labelNames: workerLabels(),
    registers: [registry],
    collect() {
      this.reset();
      for (const { id, snapshot } of supervisor.snapshots()) this.set(w(id), snapshot.context.usage.tokens);
    },
  });
  new Gauge({
    name: 'lifeguard_context_ratio',
    help: 'The higher of tokens/token_limit and turns/turn_limit for the current run (1 = hard restart)',
    labelNames: workerLabels(),
    registers: [registry],
    collect() {
      this.reset();
      for (const { id, snapshot } of supervisor.snapshots()) {
        const { usage, limits } = snapshot.context;
        const ratios = [limits.tokenLimit > 0 ? usage.tokens / limits.tokenLimit : 0, limits.turnLimit > 0 ? usage.turns / limits.turnLimit : 0];
        this.set(w(id), Math.max(...ratios));
      }
    },
  });
  new Gauge({
    name: 'lifeguard_worker_rss_bytes',
    help: "The worker process tree's RssAnon + RssShmem",
    labelNames: workerLabels(),
    registers: [registry],
    collect() {
      this.reset();
      for (const { id, snapshot } of supervisor.snapshots()) this.set(w(id), snapshot.context.rssBytes ?? 0);
    },
  });

  // The pool (docs/architecture.md#conversations-and-the-pool): where conversations went, how many spares wait, what a cold start and a
  // queue wait cost.
  const noRoutes = (): Record<RouteResult, number> => ({ continued: 0, new: 0, lost: 0, moved: 0 });
  const routeCounts = noRoutes();
  const tenantRouteCounts = new Map<string, Record<RouteResult, number>>();
  new Counter({
    name: 'lifeguard_conversation_routes_total',
    help: 'Requests by what became of their conversation: continued on the process holding it, new, lost (that process was gone) or moved (from its tenant lane to a process of its own)',
    labelNames: ['result'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [result, count] of Object.entries(routeCounts)) this.inc({ result }, count);
    },
  });
  new Counter({
    name: 'lifeguard_tenant_routes_total',
    help: 'Requests by tenant (the name of its API key; anonymous without keys) and what became of their conversation',
    labelNames: ['tenant', 'result'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [tenant, counts] of tenantRouteCounts) {
        for (const [result, count] of Object.entries(counts)) if (count > 0) this.inc({ tenant, result }, count);
      }
    },
  });
  new Gauge({
    name: 'lifeguard_tenant_processes',
    help: 'Processes holding words of each tenant now',
    labelNames: ['tenant'],
    registers: [registry],
    collect() {
      this.reset();
      const counts = new Map<string, number>();
      for (const slot of supervisor.pool?.().context.slots ?? []) {
        const tenant = tenantOf(slot);
        if (tenant !== null) counts.set(tenant, (counts.get(tenant) ?? 0) + 1);
      }
      for (const [tenant, count] of counts) this.set({ tenant }, count);
    },
  });
  new Gauge({
    name: 'lifeguard_pool_processes',
    help: 'Worker processes the pool keeps now (it grows by memory up to max_processes)',
    registers: [registry],
    collect() {
      this.set(supervisor.pool?.().context.slots.length ?? 0);
    },
  });
  new Gauge({
    name: 'lifeguard_pool_memory_bytes',
    help: "The worker processes' RssAnon+RssShmem together, as the pool counts it against its budget",
    registers: [registry],
    collect() {
      const pool = supervisor.pool?.();
      this.set(pool ? memoryInUse(pool.context) : 0);
    },
  });
  new Gauge({
    name: 'lifeguard_pool_memory_budget_bytes',
    help: 'The memory budget of the worker processes (memory_budget_mb, or half the memory available at start)',
    registers: [registry],
    collect() {
      this.set(supervisor.pool?.().context.policy.memoryBudgetBytes ?? 0);
    },
  });
  new Gauge({
    name: 'lifeguard_standby_workers',
    help: 'Clean processes accepting and ready for a new conversation',
    registers: [registry],
    collect() {
      const slots = supervisor.pool?.().context.slots ?? [];
      this.set(slots.filter((slot) => slot.tag === 'accepting' && isClean(slot)).length);
    },
  });
  const coldStart = new Histogram({
    name: 'lifeguard_cold_start_seconds',
    help: 'From spawning a worker process to its verified, healthy state',
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const queueWait = new Histogram({
    name: 'lifeguard_queue_wait_seconds',
    help: 'How long each request waited for a process (0 when one took it at once)',
    buckets: [0, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
    registers: [registry],
  });
  const spawnedAt = new Map<string, number>();

  supervisor.subscribe((event) => {
    if (event.type === 'routed') {
      routeCounts[event.result] += 1;
      let tenantCounts = tenantRouteCounts.get(event.tenant);
      if (!tenantCounts) tenantRouteCounts.set(event.tenant, (tenantCounts = noRoutes()));
      tenantCounts[event.result] += 1;
      queueWait.observe(event.waitedMs / 1000);
      return;
    }
    if (event.type === 'spawned') spawnedAt.set(event.workerId, Date.now());
    if (event.type === 'transition' && event.to === 'healthy' && spawnedAt.has(event.workerId)) {
      coldStart.observe((Date.now() - spawnedAt.get(event.workerId)!) / 1000);
      spawnedAt.delete(event.workerId);
    }
    if (event.type !== 'lifecycle') return;
    const e = event.event;
    if (e.type === 'run.began' && e.restartCount > 0) restarts.inc({ ...w(event.workerId), reason: e.reason });
    if (e.type === 'exit.recorded') exits.inc({ ...w(event.workerId), class: e.exit.class });
  });

  const unmatched = new Counter({
    name: 'lifeguard_unmatched_routes_total',
    help: 'Requests for a path and method lifeguard has no route for (answered 404), by method',
    labelNames: ['method'],
    registers: [registry],
  });
  return {
    registry,
    unmatchedRoute(method: string): void {
      unmatched.inc({ method });
    },
    observeRequest(code: number, seconds: number): void {
      requestCounts.set(code, (requestCounts.get(code) ?? 0) + 1);
      duration.observe(seconds);
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
