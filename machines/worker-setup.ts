import { assign, emit, fromCallback, fromPromise, setup, spawnChild, stopChild } from 'xstate';
import type { AnyEventObject } from 'xstate';
import { crashBackoffMs } from './policy/backoff.js';
import { contextLevel } from './policy/context-usage.js';
import { nextRandom } from './policy/random.js';
import { recordInWindow } from './policy/sliding-window.js';
import type {
  LifecycleReason,
  ProbeActorInput,
  ProcessActorInput,
  StopperActorInput,
  WorkerContext,
  WorkerEmitted,
  WorkerEvent,
  WorkerExit,
  WorkerMachineInput,
  WorkerTag,
} from './worker-types.js';

const PROCESS_ID = 'process';

function notProvided(name: string): never {
  throw new Error(`${name} was not provided: supply it with workerMachine.provide({ actors })`);
}

function exitOf(event: WorkerEvent): WorkerExit | null {
  if (event.type !== 'worker.exited') return null;
  const { type: _type, ...exit } = event;
  return exit;
}

// The worker machine's types and named implementations: actors (provided for real at runtime),
// delays, guards and actions. The states and transitions are in worker-machine.ts.
export const workerSetup = setup({
  types: {
    context: {} as WorkerContext,
    events: {} as WorkerEvent,
    input: {} as WorkerMachineInput,
    emitted: {} as WorkerEmitted,
    tags: {} as WorkerTag,
  },
  actors: {
    // The live worker process: spawns it, reports spawned/ready/output/context/exited, kills its
    // tree when stopped. Provided by the runtime.
    workerProcess: fromCallback<AnyEventObject, ProcessActorInput>(() => undefined),
    verificationProbe: fromPromise<void, ProbeActorInput>(async () => notProvided('verificationProbe')),
    processStopper: fromPromise<void, StopperActorInput>(async () => notProvided('processStopper')),
  },
  delays: {
    startupTimeout: ({ context }) => context.policy.startupTimeoutMs,
    verifyTimeout: ({ context }) => context.policy.verifyTimeoutMs,
    crashBackoff: ({ context }) => context.backoffMs,
    stableRun: ({ context }) => context.policy.stableRunMs,
    drainTimeout: ({ context }) => context.policy.drainTimeoutMs,
    wedgeTimeout: ({ context }) => context.policy.wedgeTimeoutMs,
  },
  guards: {
    isRequestedExit: ({ event }) => event.type === 'worker.exited' && event.class === 'requested',
    isCleanExit: ({ event }) => event.type === 'worker.exited' && event.class === 'clean',
    cleanBudgetExceeded: ({ context, event }) =>
      event.type === 'worker.exited' &&
      recordInWindow(
        context.cleanExits,
        event.at,
        context.policy.cleanRestartWindowMs,
        context.policy.cleanRestartBudget,
      ).exceeded,
    failureLimitPassed: ({ context }) =>
      context.policy.maxConsecutiveFailures > 0 &&
      context.consecutiveFailures > context.policy.maxConsecutiveFailures,
    backoffPending: ({ context }) => context.backoffMs > 0,
    atHardLimit: ({ context }) => contextLevel(context.usage, context.limits, context.policy.proactiveRestartPct) === 'hard',
    atProactiveThreshold: ({ context }) =>
      contextLevel(context.usage, context.limits, context.policy.proactiveRestartPct) !== 'ok',
    mayDrainProactively: ({ context }) => context.workerCount <= 1 || context.peersAccepting > 0,
    // A restart cannot shrink an isolated conversation (its next turn replays it whole on a clean
    // process), so such a worker restarts only at the hard limit.
    holdsIsolatedConversation: ({ context }) => context.stateful && context.isolation === 'isolated',
    overMemoryCap: ({ context }) =>
      context.policy.maxRssMb > 0 && context.rssBytes !== null && context.rssBytes > context.policy.maxRssMb * 1024 * 1024,
    memoryBudgetExceeded: ({ context }) =>
      recordInWindow(
        context.memoryRestarts,
        context.now,
        context.policy.memoryRestartWindowMs,
        context.policy.memoryRestartBudget,
      ).exceeded,
    hasRequestsInFlight: ({ context }) => context.busy,
  },
  actions: {
    spawnWorkerProcess: spawnChild('workerProcess', {
      id: PROCESS_ID,
      input: ({ context }) => ({ workerId: context.workerId, run: context.run }),
    }),
    stopWorkerProcess: stopChild(PROCESS_ID),
    beginRun: assign(({ context }) => ({
      run: context.run + 1,
      restartCount: context.run > 0 ? context.restartCount + 1 : context.restartCount,
      pid: null,
      busy: false,
      usage: { tokens: 0, turns: 0 },
      rssBytes: null,
      backoffMs: 0,
    })),
    announceRun: emit(({ context }) => ({
      type: 'run.began' as const,
      run: context.run,
      reason: context.restartReason ?? 'start',
      restartCount: context.restartCount,
    })),
    setReason: assign((_, params: { reason: LifecycleReason }) => ({ reason: params.reason })),
    setRestartReason: assign((_, params: { reason: LifecycleReason }) => ({
      reason: params.reason,
      restartReason: params.reason,
    })),
    recordSpawn: assign(({ context, event }) =>
      event.type === 'worker.spawned' ? { pid: event.pid, now: Math.max(context.now, event.at) } : {},
    ),
    recordReady: assign(({ context, event }) => {
      if (event.type !== 'worker.ready') return {};
      return {
        models: event.models,
        modelEntries: event.modelEntries ?? [],
        maxConcurrency: event.maxConcurrency ?? 1,
        stateful: event.stateful ?? false,
        limits: {
          tokenLimit: event.limits?.tokenLimit ?? context.policy.tokenLimit,
          turnLimit: event.limits?.turnLimit ?? context.policy.turnLimit,
        },
      };
    }),
    recordExit: assign(({ context, event }) => {
      const exit = exitOf(event);
      if (!exit) return {};
      return { lastExit: exit, pid: null, busy: false, now: Math.max(context.now, exit.at) };
    }),
    announceExit: emit(({ context }) => ({
      type: 'exit.recorded' as const,
      exit: context.lastExit as WorkerExit,
      crashCount: context.crashCount,
      consecutiveFailures: context.consecutiveFailures,
    })),
    recordCleanExit: assign(({ context, event }) => {
      if (event.type !== 'worker.exited') return {};
      const window = recordInWindow(
        context.cleanExits,
        event.at,
        context.policy.cleanRestartWindowMs,
        context.policy.cleanRestartBudget,
      );
      return { cleanExits: window.timestamps, reason: 'clean_exit' as const, restartReason: 'clean_exit' as const };
    }),
    warnCleanBudget: emit(({ context }) => ({
      type: 'health.warned' as const,
      reason: 'clean_restart_budget' as const,
      count: context.cleanExits.length,
    })),
    scheduleCleanBudgetBackoff: assign(({ context }) => ({
      backoffMs: context.policy.cleanBudgetBackoffMs,
      reason: 'clean_budget' as const,
      restartReason: 'clean_budget' as const,
    })),
    // A failure (crash, failed start) counts, and schedules the exponential backoff.
    recordFailure: assign(({ context }, params: { reason: LifecycleReason }) => {
      const failures = context.consecutiveFailures + 1;
      const random = nextRandom(context.seed);
      return {
        consecutiveFailures: failures,
        crashCount: context.crashCount + 1,
        seed: random.seed,
        backoffMs: crashBackoffMs(failures, context.policy, random.value),
        reason: params.reason,
        restartReason: params.reason,
      };
    }),
    announceBackoff: emit(({ context }) => ({
      type: 'backoff.scheduled' as const,
      ms: context.backoffMs,
      reason: context.reason,
      failures: context.consecutiveFailures,
    })),
    resetFailures: assign({ consecutiveFailures: 0 }),
    enterOffline: assign(({ context }) => ({
      offlineReason:
        context.reason === 'stop_failed'
          ? 'the worker process could not be stopped'
          : `${context.consecutiveFailures} consecutive failures (last: ${context.restartReason ?? 'unknown'})`,
      reason: context.reason === 'stop_failed' ? ('stop_failed' as const) : ('failures_exhausted' as const),
    })),
    announceOffline: emit(({ context }) => ({
      type: 'offline.entered' as const,
      reason: context.offlineReason ?? 'unknown',
    })),
    resetForRecovery: assign({
      consecutiveFailures: 0,
      offlineReason: null,
      cleanExits: [],
      memoryRestarts: [],
      backoffMs: 0,
      reason: 'recover' as const,
      restartReason: 'recover' as const,
    }),
    // A driver may learn the limits only from its first answer (Claude Code's contextWindow).
    recordContext: assign(({ context, event }) =>
      event.type === 'context.reported'
        ? {
            usage: { tokens: event.tokens, turns: event.turns },
            limits: {
              tokenLimit: event.limits?.tokenLimit ?? context.limits.tokenLimit,
              turnLimit: event.limits?.turnLimit ?? context.limits.turnLimit,
            },
          }
        : {},
    ),
    markBusy: assign({ busy: true }),
    markIdle: assign({ busy: false }),
    recordMemory: assign(({ context, event }) =>
      event.type === 'memory.sampled' ? { rssBytes: event.rssBytes, now: Math.max(context.now, event.at) } : {},
    ),
    recordMemoryRestart: assign(({ context }) => ({
      memoryRestarts: recordInWindow(
        context.memoryRestarts,
        context.now,
        context.policy.memoryRestartWindowMs,
        context.policy.memoryRestartBudget,
      ).timestamps,
      reason: 'memory' as const,
      restartReason: 'memory' as const,
    })),
    warnMemoryBudget: emit(({ context }) => ({
      type: 'health.warned' as const,
      reason: 'memory_restart_budget' as const,
      count: context.memoryRestarts.length,
    })),
    recordPeers: assign(({ event }) => (event.type === 'peers.updated' ? { peersAccepting: event.accepting } : {})),
  },
});
