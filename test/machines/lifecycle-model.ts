import { assign, createMachine } from 'xstate';

export const MAX_FAILURES = 2;

// The abstract lifecycle: what an operator expects to see, with the failure count as the only data.
// Every generated path through it is replayed against the real machine (fake actors, simulated clock).
const failure = [
  {
    guard: ({ context }: { context: { failures: number } }) => context.failures + 1 > MAX_FAILURES,
    target: '#model.offline',
    actions: assign({ failures: ({ context }: { context: { failures: number } }) => context.failures + 1 }),
  },
  {
    target: '#model.recovering',
    actions: assign({ failures: ({ context }: { context: { failures: number } }) => context.failures + 1 }),
  },
];

export const lifecycleModel = createMachine({
  id: 'model',
  context: { failures: 0 },
  initial: 'starting',
  on: { STOP: '.stopped' },
  states: {
    starting: {
      initial: 'spawning',
      on: { CRASH: failure, CLEAN_EXIT: '#model.starting' },
      states: {
        spawning: { on: { READY: 'verifying', STARTUP_TIMEOUT: failure } },
        verifying: { on: { PROBE_PASSED: '#model.healthy', PROBE_FAILED: failure } },
      },
    },
    healthy: {
      on: {
        CRASH: failure,
        CLEAN_EXIT: 'starting',
        STABLE_RUN: { actions: assign({ failures: 0 }) },
        BUSY_AT_PROACTIVE_THRESHOLD: 'draining',
        RESTART_IDLE: 'starting',
        WEDGE: 'starting',
      },
    },
    draining: {
      on: { CRASH: failure, REQUEST_FINISHED: 'starting', DRAIN_TIMEOUT: 'starting' },
    },
    recovering: { on: { BACKOFF_ELAPSED: 'starting' } },
    offline: { on: { RECOVER: { target: 'starting', actions: assign({ failures: 0 }) } } },
    stopped: { type: 'final' },
  },
});

