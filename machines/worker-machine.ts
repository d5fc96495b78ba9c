import { and, not } from 'xstate';
import { defaultPolicy } from './policy/policy.js';
import { workerSetup } from './worker-setup.js';

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

export const workerMachine = workerSetup.createMachine({
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
    modelEntries: [],
    maxConcurrency: 1,
    stateful: false,
    isolation: input.isolation ?? 'shared',
    limits: {
      tokenLimit: input.policy?.tokenLimit ?? defaultPolicy.tokenLimit,
      turnLimit: input.policy?.turnLimit ?? defaultPolicy.turnLimit,
    },
    usage: { tokens: 0, turns: 0 },
    busy: false,
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
          guard: and(['atProactiveThreshold', 'mayDrainProactively', not('holdsIsolatedConversation')]),
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
        'requests.began': { actions: 'markBusy' },
        'requests.ended': { actions: 'markIdle' },
        'request.stalled': { target: '#restarting', actions: { type: 'setRestartReason', params: { reason: 'wedge' } } },
        'context.reported': { actions: 'recordContext' },
        'memory.sampled': { actions: 'recordMemory' },
        restart: { target: 'draining', actions: { type: 'setRestartReason', params: { reason: 'admin_restart' } } },
        drain: { target: 'draining', actions: { type: 'setRestartReason', params: { reason: 'admin_drain' } } },
        recycle: { target: 'draining', actions: { type: 'setRestartReason', params: { reason: 'recycle' } } },
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
        'requests.ended': { actions: 'markIdle' },
        'request.stalled': { target: '#restarting', actions: { type: 'setRestartReason', params: { reason: 'wedge' } } },
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
