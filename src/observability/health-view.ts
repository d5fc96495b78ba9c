import { contextPct } from '../../machines/policy/context-usage.js';
import { isClean, memoryInUse, spareCount, sparesWanted, tenantOf } from '../../machines/policy/pool-capacity.js';
import type { PoolContext, RouteResult } from '../../machines/pool-types.js';
import { shownSessionKey } from '../conversations/session-key.js';
import { topLevelState, type WorkerSnapshot } from '../supervisor/supervisor.js';

export interface HealthInputs {
  /** Each worker's snapshot, and the requests it is answering now (the facade counts them). */
  workers: Array<{ id: string; snapshot: WorkerSnapshot; inFlight: number; parkedToolCalls?: number }>;
  stats: { totalRequests: number; totalErrors: number; queueDepth: number; startedAt: number; inFlight: number; routes: Record<RouteResult, number> };
  gatewayRssBytes: number;
  now: number;
  /** The pool's context: its policy and the conversation table (docs/architecture.md#conversations-and-the-pool). */
  pool?: PoolContext;
}

// What a process holds: its conversation (digest prefix, the short hash of its session key — never the
// key, a credential —, turns, idle seconds), or "clean" when it has served nothing since it started;
// null when it served requests but holds no conversation.
function conversationOf(pool: PoolContext | undefined, id: string, now: number) {
  const slot = pool?.slots.find((s) => s.id === id);
  if (!slot) return null;
  if (slot.conversation) {
    const { digest, key, turns, lastUsedAt, lane } = slot.conversation;
    return { digest: digest.slice(0, 12) || null, key: shownSessionKey(key), turns, idle_s: Math.max(0, Math.round((now - lastUsedAt) / 1000)), ...(lane ? { lane: true } : {}) };
  }
  return isClean(slot) ? 'clean' : null;
}

// Processes holding each tenant's words now (the names of the API keys; never the keys).
function tenantCounts(pool: PoolContext): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const slot of pool.slots) {
    const tenant = tenantOf(slot);
    if (tenant !== null) counts[tenant] = (counts[tenant] ?? 0) + 1;
  }
  return counts;
}

function poolFigures(pool: PoolContext, routes: Record<RouteResult, number>) {
  return {
    workers: pool.policy.workers,
    standby: pool.policy.standby,
    isolation: pool.policy.isolation,
    tenant_isolation: pool.policy.tenantIsolation,
    session_idle_ms: pool.policy.sessionIdleMs,
    processes: pool.slots.length,
    max_processes: pool.policy.maxProcesses,
    spawn_concurrency: pool.policy.spawnConcurrency,
    memory_budget_mb: mb(pool.policy.memoryBudgetBytes),
    memory_in_use_mb: mb(memoryInUse(pool)),
    spares: spareCount(pool),
    spares_wanted: sparesWanted(pool),
    cold_start_ms: pool.coldStartMs,
    conversations: pool.slots.filter((slot) => slot.conversation !== null && !slot.conversation.lane).length,
    lanes: pool.slots.filter((slot) => slot.conversation?.lane === true).length,
    tenants: tenantCounts(pool),
    routes,
  };
}

function tenantOfWorker(pool: PoolContext | undefined, id: string): string | null {
  const slot = pool?.slots.find((s) => s.id === id);
  return slot ? tenantOf(slot) : null;
}

// Best first: with several workers, /health's status is the best worker's state.
const STATE_RANK = ['healthy', 'draining', 'restarting', 'starting', 'recovering', 'offline', 'stopped'];

const mb = (bytes: number) => Math.round((bytes / (1024 * 1024)) * 10) / 10;

function contextUsage(snapshot: WorkerSnapshot) {
  const { usage, limits } = snapshot.context;
  const pct = contextPct(usage, limits);
  return {
    tokens: usage.tokens,
    turns: usage.turns,
    token_limit: limits.tokenLimit,
    turn_limit: limits.turnLimit,
    token_pct: pct.tokenPct,
    turn_pct: pct.turnPct,
  };
}

function lastExit(snapshot: WorkerSnapshot) {
  const exit = snapshot.context.lastExit;
  if (!exit) return null;
  return {
    code: exit.code,
    signal: exit.signal,
    class: exit.class,
    run_duration_ms: exit.runDurationMs,
    at: new Date(exit.at).toISOString(),
    error: exit.error,
  };
}

function workerMessage(state: string, snapshot: WorkerSnapshot): string | null {
  const { context } = snapshot;
  if (state === 'healthy') return null;
  if (state === 'offline') return `Worker offline - manual restart required (${context.offlineReason ?? 'unknown reason'})`;
  if (state === 'recovering') return `recovering after ${context.restartReason ?? 'a failure'}; next start in ≤ ${context.backoffMs} ms`;
  if (state === 'draining' || state === 'restarting') return `${state} (${context.restartReason ?? context.reason})`;
  return `${state} (${context.reason})`;
}

// The operator's view (docs/http-api.md /health) as a pure function of the snapshots; 503 only when every
// worker is unavailable.
export function healthView(inputs: HealthInputs): { status: 200 | 503; body: Record<string, unknown> } {
  const workers = inputs.workers.map(({ id, snapshot, inFlight, parkedToolCalls }) => ({ id, snapshot, inFlight, parkedToolCalls: parkedToolCalls ?? 0, state: topLevelState(snapshot) }));
  const best = [...workers].sort((a, b) => STATE_RANK.indexOf(a.state) - STATE_RANK.indexOf(b.state))[0];
  const first = workers[0];
  const sum = (pick: (s: WorkerSnapshot) => number) => workers.reduce((total, w) => total + pick(w.snapshot), 0);
  const allUnavailable = workers.every((w) => w.snapshot.hasTag('unavailable'));
  const body = {
    status: best?.state ?? 'stopped',
    invoker_connected: workers.some((w) => w.snapshot.context.pid !== null),
    message: best ? workerMessage(best.state, best.snapshot) : 'no workers',
    memory: {
      rss_mb: mb(inputs.gatewayRssBytes),
      worker_rss_mb: mb(sum((s) => s.context.rssBytes ?? 0)),
    },
    context_usage: first ? contextUsage(first.snapshot) : null,
    stats: {
      restart_count: sum((s) => s.context.restartCount),
      crash_count: sum((s) => s.context.crashCount),
      recovery_attempts: sum((s) => s.context.consecutiveFailures),
      total_requests: inputs.stats.totalRequests,
      total_errors: inputs.stats.totalErrors,
      queue_depth: inputs.stats.queueDepth,
      in_flight: inputs.stats.inFlight,
      uptime_s: Math.round((inputs.now - inputs.stats.startedAt) / 1000),
    },
    workers: workers.map(({ id, snapshot, inFlight, parkedToolCalls, state }) => ({
      id,
      status: state,
      pid: snapshot.context.pid,
      accepting: snapshot.hasTag('accepting'),
      restart_count: snapshot.context.restartCount,
      crash_count: snapshot.context.crashCount,
      consecutive_failures: snapshot.context.consecutiveFailures,
      in_flight: inFlight,
      /** Calls of a client's tools the process waits on (their results come with the client's next request). */
      parked_tool_calls: parkedToolCalls,
      rss_mb: snapshot.context.rssBytes === null ? null : mb(snapshot.context.rssBytes),
      models: snapshot.context.models,
      reason: snapshot.context.reason,
      restart_reason: snapshot.context.restartReason,
      offline_reason: snapshot.context.offlineReason,
      context_usage: contextUsage(snapshot),
      last_exit: lastExit(snapshot),
      conversation: conversationOf(inputs.pool, id, inputs.now),
      tenant: tenantOfWorker(inputs.pool, id),
    })),
    ...(inputs.pool ? { pool: poolFigures(inputs.pool, inputs.stats.routes) } : {}),
  };
  return { status: allUnavailable ? 503 : 200, body };
}
