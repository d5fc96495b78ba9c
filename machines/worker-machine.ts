import { assign, emit, fromCallback, fromPromise, not, and, setup, spawnChild, stopChild } from 'xstate';
import type { AnyEventObject } from 'xstate';
import { crashBackoffMs } from './policy/backoff.js';
import { contextLevel } from './policy/context-usage.js';
import { defaultPolicy } from './policy/policy.js';
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

// How a running worker's exit is handled, the same in starting, healthy and draining: every exit
// goes through `restarting`, which also ends whatever the process left behind in its group.
const exitTransitions = [
  { guard: 'isRequestedExit', actions: ['recordExit', 'announceExit'] },
  {
    guard: and(['isCleanExit', 'cleanBudgetExceeded']),
    target: '#restarting',
    actions: ['recordExit', 'recordCleanExit', 'warnCleanBudget', 'scheduleCleanBudgetBackoff', 'announceExit'],
  },
  { guard: 'isCleanExit', target: '#restarting', actions: ['recordExit', 'recordCleanExit', 'announceExit'] },
  {
    target: '#restarting',
    actions: ['recordExit', { type: 'recordFailure', params: { reason: 'crash' } }, 'announceExit'],
  },
] as const;

function notProvided(name: string): never {
  throw new Error(`${name} was not provided: supply it with workerMachine.provide({ actors })`);
}

function exitOf(event: WorkerEvent): WorkerExit | null {
  if (event.type !== 'worker.exited') return null;
  const { type: _type, ...exit } = event;
  return exit;
}

export const workerMachine = setup({
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
    overMemoryCap: ({ context }) =>
      context.policy.maxRssMb > 0 && context.rssBytes !== null && context.rssBytes > context.policy.maxRssMb * 1024 * 1024,
    memoryBudgetExceeded: ({ context }) =>
      recordInWindow(
        context.memoryRestarts,
        context.now,
        context.policy.memoryRestartWindowMs,
        context.policy.memoryRestartBudget,
      ).exceeded,
    hasRequestsInFlight: ({ context }) => context.inFlight > 0,
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
      inFlight: 0,
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
        maxConcurrency: event.maxConcurrency ?? 1,
        limits: {
          tokenLimit: event.limits?.tokenLimit ?? context.policy.tokenLimit,
          turnLimit: event.limits?.turnLimit ?? context.policy.turnLimit,
        },
      };
    }),
    recordExit: assign(({ context, event }) => {
      const exit = exitOf(event);
      if (!exit) return {};
      return { lastExit: exit, pid: null, inFlight: 0, now: Math.max(context.now, exit.at) };
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
    startRequest: assign(({ context }) => ({ inFlight: context.inFlight + 1 })),
    finishRequest: assign(({ context }) => ({ inFlight: Math.max(0, context.inFlight - 1) })),
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
}).createMachine({
  id: 'worker',
  context: ({ input }) => ({
    workerId: input.workerId,
    policy: { ...defaultPolicy, ...input.policy },
    seed: input.seed ?? 1,
    workerCount: input.workerCount ?? 1,
    peersAccepting: 0,
    run: 0,
    pid: null,
    models: [],
    maxConcurrency: 1,
    limits: {
      tokenLimit: input.policy?.tokenLimit ?? defaultPolicy.tokenLimit,
      turnLimit: input.policy?.turnLimit ?? defaultPolicy.turnLimit,
    },
    usage: { tokens: 0, turns: 0 },
    inFlight: 0,
    rssBytes: null,
    now: 0,
    consecutiveFailures: 0,
    crashCount: 0,
    restartCount: 0,
    cleanExits: [],
    memoryRestarts: [],
    lastExit: null,
    reason: 'start',
    restartReason: null,
    backoffMs: 0,
    offlineReason: null,
  }),
  initial: 'starting',
  on: {
    stop: { target: '.stopped', actions: { type: 'setReason', params: { reason: 'stop' } } },
    'peers.updated': { actions: 'recordPeers' },
  },
  states: {
    starting: {
      id: 'starting',
      tags: ['waiting'],
      entry: ['stopWorkerProcess', 'beginRun', 'announceRun', 'spawnWorkerProcess'],
      initial: 'spawning',
      on: {
        'worker.spawned': { actions: 'recordSpawn' },
        'worker.exited': exitTransitions,
      },
      states: {
        spawning: {
          after: {
            startupTimeout: {
              target: '#restarting',
              actions: { type: 'recordFailure', params: { reason: 'startup_timeout' } },
            },
          },
          on: {
            'worker.ready': {
              target: 'verifying',
              actions: ['recordReady', { type: 'setReason', params: { reason: 'ready' } }],
            },
          },
        },
        verifying: {
          invoke: {
            src: 'verificationProbe',
            input: ({ context }) => ({
              workerId: context.workerId,
              run: context.run,
              timeoutMs: context.policy.verifyTimeoutMs,
            }),
            onDone: { target: '#healthy', actions: { type: 'setReason', params: { reason: 'verified' } } },
            onError: {
              target: '#restarting',
              actions: { type: 'recordFailure', params: { reason: 'verification_failed' } },
            },
          },
          after: {
            verifyTimeout: {
              target: '#restarting',
              actions: { type: 'recordFailure', params: { reason: 'verification_failed' } },
            },
          },
        },
      },
    },
    healthy: {
      id: 'healthy',
      tags: ['accepting'],
      after: { stableRun: { actions: 'resetFailures' } },
      always: [
        {
          guard: 'atHardLimit',
          target: 'draining',
          actions: { type: 'setRestartReason', params: { reason: 'hard_limit' } },
        },
        {
          guard: and(['atProactiveThreshold', 'mayDrainProactively']),
          target: 'draining',
          actions: { type: 'setRestartReason', params: { reason: 'proactive' } },
        },
        {
          guard: and(['overMemoryCap', 'memoryBudgetExceeded']),
          target: 'draining',
          actions: [
            'recordMemoryRestart',
            'warnMemoryBudget',
            { type: 'recordFailure', params: { reason: 'memory' } },
          ],
        },
        { guard: 'overMemoryCap', target: 'draining', actions: 'recordMemoryRestart' },
      ],
      on: {
        'worker.exited': exitTransitions,
        'request.started': { actions: 'startRequest' },
        'request.finished': { actions: 'finishRequest' },
        'context.reported': { actions: 'recordContext' },
        'memory.sampled': { actions: 'recordMemory' },
        restart: { target: 'draining', actions: { type: 'setRestartReason', params: { reason: 'admin_restart' } } },
        drain: { target: 'draining', actions: { type: 'setRestartReason', params: { reason: 'admin_drain' } } },
      },
      initial: 'idle',
      states: {
        idle: { always: { guard: 'hasRequestsInFlight', target: 'busy' } },
        busy: {
          always: { guard: not('hasRequestsInFlight'), target: 'idle' },
          after: {
            wedgeTimeout: { target: '#restarting', actions: { type: 'setRestartReason', params: { reason: 'wedge' } } },
          },
          on: { 'worker.output': { target: 'busy', reenter: true } },
        },
      },
    },
    draining: {
      id: 'draining',
      tags: ['waiting'],
      always: {
        guard: not('hasRequestsInFlight'),
        target: 'restarting',
        actions: { type: 'setReason', params: { reason: 'drained' } },
      },
      after: {
        drainTimeout: { target: 'restarting', actions: { type: 'setReason', params: { reason: 'drain_timeout' } } },
      },
      on: {
        'worker.exited': exitTransitions,
        'request.finished': { actions: 'finishRequest' },
        'context.reported': { actions: 'recordContext' },
        'memory.sampled': { actions: 'recordMemory' },
      },
      initial: 'busy',
      states: {
        busy: {
          after: {
            wedgeTimeout: { target: '#restarting', actions: { type: 'setRestartReason', params: { reason: 'wedge' } } },
          },
          on: { 'worker.output': { target: 'busy', reenter: true } },
        },
      },
    },
    restarting: {
      id: 'restarting',
      tags: ['waiting'],
      invoke: {
        src: 'processStopper',
        input: ({ context }) => ({
          workerId: context.workerId,
          run: context.run,
          graceMs: context.policy.stopGraceMs,
          reason: context.restartReason,
        }),
        onDone: [
          { guard: 'failureLimitPassed', target: 'offline' },
          { guard: 'backoffPending', target: 'recovering', actions: 'announceBackoff' },
          { target: 'starting' },
        ],
        onError: { target: 'offline', actions: { type: 'setReason', params: { reason: 'stop_failed' } } },
      },
      on: {
        'worker.exited': { actions: ['recordExit', 'announceExit'] },
      },
    },
    recovering: {
      tags: ['waiting'],
      after: {
        crashBackoff: { target: 'starting', actions: { type: 'setReason', params: { reason: 'backoff_elapsed' } } },
      },
    },
    offline: {
      tags: ['unavailable'],
      entry: ['stopWorkerProcess', 'enterOffline', 'announceOffline'],
      on: { recover: { target: 'starting', actions: 'resetForRecovery' } },
    },
    stopped: {
      type: 'final',
      tags: ['unavailable'],
      entry: 'stopWorkerProcess',
    },
  },
});

export type WorkerMachine = typeof workerMachine;
