import { assign, createMachine } from 'xstate';
import { nextRandom } from '../../machines/policy/random.js';

// The policy the model-based test runs under, every number chosen so each branch is a few events
// away: two failures are tolerated, the third goes offline; the backoff caps at the second failure;
// the second clean exit and the second memory restart exceed their budgets; the wedge timer is
// shorter than the drain timer, so a request can wedge while draining.
export const MODEL_POLICY = {
  maxConsecutiveFailures: 2,
  backoffBaseMs: 1_000,
  backoffMaxMs: 1_500,
  backoffJitterPct: 10,
  cleanRestartBudget: 1,
  cleanRestartWindowMs: 1e9,
  cleanBudgetBackoffMs: 500,
  maxRssMb: 1,
  memoryRestartBudget: 1,
  memoryRestartWindowMs: 1e9,
  turnLimit: 10,
  tokenLimit: 1_000_000,
  proactiveRestartPct: 80,
  startupTimeoutMs: 30_000,
  verifyTimeoutMs: 10_000,
  stableRunMs: 300_000,
  drainTimeoutMs: 30_000,
  wedgeTimeoutMs: 20_000,
  stopGraceMs: 5_000,
} as const;
export const MODEL_SEED = 7;
/** The machine runs as one of two workers: a proactive drain waits for the peer to accept. */
export const MODEL_WORKER_COUNT = 2;

type ExitClass = 'clean' | 'crash' | 'requested';
type Tag = 'accepting' | 'waiting' | 'unavailable';

export type ExpectedEmit =
  | { type: 'run.began'; run: number; reason: string; restartCount: number }
  | { type: 'exit.recorded'; exit: { class: ExitClass }; crashCount: number; consecutiveFailures: number }
  | { type: 'backoff.scheduled'; ms: number; reason: string; failures: number }
  | { type: 'health.warned'; reason: 'clean_restart_budget' | 'memory_restart_budget'; count: number }
  | { type: 'offline.entered'; reason: string };

export interface ModelContext {
  failures: number;
  crashes: number;
  restarts: number;
  run: number;
  seed: number;
  /** Requests are in flight (the facade tells the machine when some begin and when none are left). */
  busy: boolean;
  turns: number;
  rss: 'none' | 'under' | 'over';
  peers: number;
  cleanExits: number;
  memoryRestarts: number;
  reason: string;
  restartReason: string | null;
  backoffMs: number;
  offlineReason: string | null;
  lastExit: ExitClass | null;
  /** The stable-run timer has fired in this healthy visit (it fires once). */
  stable: boolean;
  /** Everything the machine should have emitted so far, in order. */
  emitted: ExpectedEmit[];
  /** The `reason` the process stopper was given, once per entry into restarting. */
  stopperReasons: Array<string | null>;
}

export const TAGS: Record<string, Tag> = {
  starting: 'waiting',
  healthy: 'accepting',
  draining: 'waiting',
  restarting: 'waiting',
  recovering: 'waiting',
  offline: 'unavailable',
  stopped: 'unavailable',
};

type Ctx = { context: ModelContext };

// The backoff the policy promises for the nth consecutive failure: base · 2^(n−1), capped, plus
// jitter of up to jitterPct % drawn from the seeded PRNG (the model tracks the seed itself).
function expectedBackoff(failures: number, random01: number): number {
  const capped = Math.min(MODEL_POLICY.backoffBaseMs * 2 ** (failures - 1), MODEL_POLICY.backoffMaxMs);
  return Math.round(capped * (1 + (MODEL_POLICY.backoffJitterPct / 100) * random01));
}

function failed(context: ModelContext, reason: string): Partial<ModelContext> {
  const random = nextRandom(context.seed);
  const failures = context.failures + 1;
  return {
    failures,
    crashes: context.crashes + 1,
    seed: random.seed,
    backoffMs: expectedBackoff(failures, random.value),
    reason,
    restartReason: reason,
  };
}

function exitRecorded(context: ModelContext, exit: ExitClass): ExpectedEmit[] {
  return [
    ...context.emitted,
    { type: 'exit.recorded', exit: { class: exit }, crashCount: context.crashes, consecutiveFailures: context.failures },
  ];
}

const fail = (reason: string) => assign(({ context }: Ctx) => failed(context, reason));
const because = (reason: string) => assign((_: Ctx) => ({ reason }));
const restartBecause = (reason: string) => assign((_: Ctx) => ({ reason, restartReason: reason }));
const recordExit = (exit: ExitClass) => assign((_: Ctx) => ({ lastExit: exit, busy: false }));
const announceExit = assign(({ context }: Ctx) => ({ emitted: exitRecorded(context, context.lastExit!) }));

// A running worker's exit, the same in starting, healthy and draining.
const exits = {
  CRASH: {
    target: '#model.restarting',
    actions: [recordExit('crash'), fail('crash'), announceExit],
  },
  CLEAN_EXIT: [
    {
      guard: ({ context }: Ctx) => context.cleanExits + 1 > MODEL_POLICY.cleanRestartBudget,
      target: '#model.restarting',
      actions: [
        recordExit('clean'),
        assign(({ context }: Ctx) => ({
          cleanExits: context.cleanExits + 1,
          emitted: [...context.emitted, { type: 'health.warned' as const, reason: 'clean_restart_budget' as const, count: context.cleanExits + 1 }],
          backoffMs: MODEL_POLICY.cleanBudgetBackoffMs,
        })),
        restartBecause('clean_budget'),
        announceExit,
      ],
    },
    {
      target: '#model.restarting',
      actions: [
        recordExit('clean'),
        assign(({ context }: Ctx) => ({ cleanExits: context.cleanExits + 1 })),
        restartBecause('clean_exit'),
        announceExit,
      ],
    },
  ],
  // lifeguard caused it: recorded, never counted, and it changes no state by itself.
  REQUESTED_EXIT: { actions: [recordExit('requested'), announceExit] },
};

const isBusy = ({ context }: Ctx) => context.busy;

// The abstract lifecycle: what an operator expects to see, with the counters, reasons, backoff and
// emitted events it promises. Every generated path is replayed against the real machine (fake
// actors, simulated clock), and at each step the two are compared.
export const lifecycleModel = createMachine({
  id: 'model',
  types: {} as { context: ModelContext },
  context: {
    failures: 0,
    crashes: 0,
    restarts: 0,
    run: 0,
    seed: MODEL_SEED,
    busy: false,
    turns: 0,
    rss: 'none',
    peers: 0,
    cleanExits: 0,
    memoryRestarts: 0,
    reason: 'start',
    restartReason: null,
    backoffMs: 0,
    offlineReason: null,
    lastExit: null,
    stable: false,
    emitted: [],
    stopperReasons: [],
  },
  initial: 'starting',
  on: {
    STOP: { target: '.stopped', actions: because('stop') },
    PEERS_UP: { guard: ({ context }) => context.peers === 0, actions: assign({ peers: 1 }) },
    PEERS_DOWN: { guard: ({ context }) => context.peers === 1, actions: assign({ peers: 0 }) },
  },
  states: {
    starting: {
      entry: assign(({ context }) => ({
        run: context.run + 1,
        restarts: context.run > 0 ? context.restarts + 1 : context.restarts,
        busy: false,
        turns: 0,
        rss: 'none' as const,
        backoffMs: 0,
        emitted: [
          ...context.emitted,
          {
            type: 'run.began' as const,
            run: context.run + 1,
            reason: context.restartReason ?? 'start',
            restartCount: context.run > 0 ? context.restarts + 1 : context.restarts,
          },
        ],
      })),
      initial: 'spawning',
      on: exits,
      states: {
        spawning: {
          on: {
            READY: { target: 'verifying', actions: because('ready') },
            STARTUP_TIMEOUT: { target: '#model.restarting', actions: fail('startup_timeout') },
          },
        },
        verifying: {
          on: {
            PROBE_PASSED: { target: '#model.healthy', actions: because('verified') },
            PROBE_FAILED: { target: '#model.restarting', actions: fail('verification_failed') },
            VERIFY_TIMEOUT: { target: '#model.restarting', actions: fail('verification_failed') },
          },
        },
      },
    },
    healthy: {
      id: 'healthy',
      entry: assign({ stable: false }),
      always: [
        { guard: ({ context }) => context.turns >= 10, target: 'draining', actions: restartBecause('hard_limit') },
        {
          guard: ({ context }) => context.turns >= 8 && context.peers > 0,
          target: 'draining',
          actions: restartBecause('proactive'),
        },
        {
          guard: ({ context }) => context.rss === 'over' && context.memoryRestarts + 1 > MODEL_POLICY.memoryRestartBudget,
          target: 'draining',
          actions: [
            assign(({ context }) => ({
              memoryRestarts: context.memoryRestarts + 1,
              emitted: [...context.emitted, { type: 'health.warned' as const, reason: 'memory_restart_budget' as const, count: context.memoryRestarts + 1 }],
            })),
            fail('memory'),
          ],
        },
        {
          guard: ({ context }) => context.rss === 'over',
          target: 'draining',
          actions: [assign(({ context }) => ({ memoryRestarts: context.memoryRestarts + 1 })), restartBecause('memory')],
        },
      ],
      on: {
        ...exits,
        REQUESTS_BEGAN: { guard: ({ context }) => !context.busy, actions: assign({ busy: true }) },
        REQUESTS_ENDED: { guard: isBusy, actions: assign({ busy: false }) },
        REQUEST_STALLED: { guard: isBusy, target: 'restarting', actions: restartBecause('wedge') },
        WEDGE_TIMEOUT: { guard: isBusy, target: 'restarting', actions: restartBecause('wedge') },
        STABLE_RUN: { guard: ({ context }) => !context.busy && !context.stable, actions: assign({ failures: 0, stable: true }) },
        CONTEXT_PROACTIVE: { guard: ({ context }) => context.turns < 8, actions: assign({ turns: 8 }) },
        CONTEXT_HARD: { actions: assign({ turns: 10 }) },
        MEMORY_UNDER: { guard: ({ context }) => context.rss !== 'under', actions: assign({ rss: 'under' as const }) },
        MEMORY_OVER: { actions: assign({ rss: 'over' as const }) },
        RESTART: { target: 'draining', actions: restartBecause('admin_restart') },
        DRAIN: { target: 'draining', actions: restartBecause('admin_drain') },
        RECYCLE: { target: 'draining', actions: restartBecause('recycle') },
      },
    },
    draining: {
      always: { guard: ({ context }) => !context.busy, target: 'restarting', actions: because('drained') },
      on: {
        ...exits,
        REQUESTS_ENDED: { actions: assign({ busy: false }) },
        REQUEST_STALLED: { target: 'restarting', actions: restartBecause('wedge') },
        WEDGE_TIMEOUT: { target: 'restarting', actions: restartBecause('wedge') },
        DRAIN_TIMEOUT: { target: 'restarting', actions: because('drain_timeout') },
        CONTEXT_HARD: { guard: ({ context }) => context.turns < 10, actions: assign({ turns: 10 }) },
        MEMORY_OVER: { guard: ({ context }) => context.rss !== 'over', actions: assign({ rss: 'over' as const }) },
      },
    },
    restarting: {
      entry: assign(({ context }) => ({ stopperReasons: [...context.stopperReasons, context.restartReason] })),
      on: {
        STOPPER_DONE: [
          { guard: ({ context }) => context.failures > MODEL_POLICY.maxConsecutiveFailures, target: 'offline' },
          {
            guard: ({ context }) => context.backoffMs > 0,
            target: 'recovering',
            actions: assign(({ context }) => ({
              emitted: [
                ...context.emitted,
                { type: 'backoff.scheduled' as const, ms: context.backoffMs, reason: context.reason, failures: context.failures },
              ],
            })),
          },
          { target: 'starting' },
        ],
        STOPPER_FAILED: { target: 'offline', actions: because('stop_failed') },
        CRASH: { actions: [recordExit('crash'), announceExit] },
        REQUESTED_EXIT: { actions: [recordExit('requested'), announceExit] },
      },
    },
    recovering: {
      on: { BACKOFF_ELAPSED: { target: 'starting', actions: because('backoff_elapsed') } },
    },
    offline: {
      entry: assign(({ context }) => {
        const stopFailed = context.reason === 'stop_failed';
        const offlineReason = stopFailed
          ? 'the worker process could not be stopped'
          : `${context.failures} consecutive failures (last: ${context.restartReason})`;
        return {
          offlineReason,
          reason: stopFailed ? 'stop_failed' : 'failures_exhausted',
          emitted: [...context.emitted, { type: 'offline.entered' as const, reason: offlineReason }],
        };
      }),
      on: {
        RECOVER: {
          target: 'starting',
          actions: assign({
            failures: 0,
            offlineReason: null,
            cleanExits: 0,
            memoryRestarts: 0,
            backoffMs: 0,
            reason: 'recover',
            restartReason: 'recover',
          }),
        },
      },
    },
    stopped: { type: 'final' },
  },
});

// What tells two model states apart for path generation: the state, the transition that led there
// (source state and event, so every transition is the last step of some path), the failure count
// before and after it (so a stable run forgives real failures) and whether a backoff is pending.
// Counters that keep growing (runs, crash count, seed, emitted events) are left out; the replay
// checks them all. Budgets and peers hidden from this key are reached by SCENARIOS below.
export function modelStateKey(
  snapshot: { value: unknown; context: ModelContext },
  event: { type: string } | undefined,
  previous: { value: unknown; context: ModelContext } | undefined,
): string {
  const c = snapshot.context;
  return JSON.stringify([
    snapshot.value,
    previous?.value ?? null,
    event?.type ?? null,
    previous?.context.failures ?? null,
    c.failures,
    c.backoffMs > 0,
  ]);
}

// Event sequences for what the shortest paths reach only with empty budgets and one request:
// exceeded budgets, windows cleared by recover, a busy worker that drains, a proactive drain that
// waits for the peer, and what a draining worker still records.
export const SCENARIOS: string[][] = [
  ['READY', 'PROBE_PASSED', 'MEMORY_OVER', 'STOPPER_DONE', 'READY', 'PROBE_PASSED', 'MEMORY_OVER', 'STOPPER_DONE', 'BACKOFF_ELAPSED'],
  ['READY', 'PROBE_PASSED', 'REQUESTS_BEGAN', 'MEMORY_OVER', 'CONTEXT_HARD', 'REQUESTS_ENDED', 'STOPPER_DONE', 'READY', 'PROBE_PASSED', 'REQUESTS_BEGAN', 'MEMORY_OVER', 'REQUEST_STALLED', 'STOPPER_DONE'],
  ['CLEAN_EXIT', 'STOPPER_DONE', 'CLEAN_EXIT', 'STOPPER_DONE', 'BACKOFF_ELAPSED', 'CRASH', 'STOPPER_DONE', 'BACKOFF_ELAPSED', 'CRASH', 'STOPPER_DONE', 'BACKOFF_ELAPSED', 'CRASH', 'STOPPER_DONE', 'RECOVER', 'CLEAN_EXIT', 'STOPPER_DONE'],
  ['READY', 'PROBE_PASSED', 'MEMORY_OVER', 'STOPPER_DONE', 'CRASH', 'STOPPER_DONE', 'BACKOFF_ELAPSED', 'CRASH', 'STOPPER_DONE', 'BACKOFF_ELAPSED', 'CRASH', 'STOPPER_DONE', 'RECOVER', 'READY', 'PROBE_PASSED', 'MEMORY_OVER', 'STOPPER_DONE'],
  ['READY', 'PROBE_PASSED', 'REQUESTS_BEGAN', 'DRAIN', 'WEDGE_TIMEOUT', 'STOPPER_DONE'],
  ['READY', 'PROBE_PASSED', 'REQUESTS_BEGAN', 'CONTEXT_PROACTIVE', 'PEERS_UP', 'REQUESTS_ENDED', 'STOPPER_DONE'],
  ['READY', 'PROBE_PASSED', 'PEERS_UP', 'REQUESTS_BEGAN', 'CONTEXT_PROACTIVE', 'CONTEXT_HARD', 'MEMORY_OVER', 'DRAIN_TIMEOUT', 'STOPPER_DONE'],
  ['READY', 'PROBE_PASSED', 'REQUESTS_BEGAN', 'RESTART', 'REQUESTED_EXIT', 'STOPPER_DONE'],
  ['READY', 'PROBE_PASSED', 'REQUESTS_BEGAN', 'REQUEST_STALLED', 'STOPPER_DONE'],
  ['CRASH', 'STOPPER_DONE', 'BACKOFF_ELAPSED', 'READY', 'PROBE_PASSED', 'REQUESTS_BEGAN', 'REQUESTS_ENDED', 'STABLE_RUN', 'CRASH', 'STOPPER_DONE'],
];
