import { modelsSetup } from './models-setup.js';

// The models' parent (issue #27): the model table, the TTL timer and the exclusive swaps. Each model's
// pool is started and stopped by the runtime (emitted pool.start / pool.stop); requests are admitted here, so a
// model is never taken away before the requests it was loaded for are in flight.
export const modelsMachine = modelsSetup.createMachine({
  id: 'models',
  context: ({ input }) => ({
    models: input.models.map((spec) => ({
      ...spec,
      phase: 'unloaded' as const,
      waiting: 0,
      inFlight: 0,
      lastUsedAt: input.now ?? 0,
      wantedSeq: 0,
      bootPending: spec.start === 'boot',
    })),
    now: input.now ?? 0,
    ttlCheckAt: 0,
    seq: 0,
  }),
  // Models that start at boot load now.
  entry: 'rebalance',
  initial: 'running',
  states: {
    running: {
      on: {
        'request.arrived': { target: '.checking', actions: ['advanceClock', 'recordArrival', 'rebalance'] },
        'request.withdrawn': { target: '.checking', actions: ['advanceClock', 'recordWithdrawal'] },
        'request.ended': { target: '.checking', actions: ['advanceClock', 'recordEnd'] },
        'pool.started': { target: '.checking', actions: ['advanceClock', 'recordStarted', 'rebalance'] },
        'pool.failed': { target: '.checking', actions: ['advanceClock', 'recordFailed', 'rebalance'] },
        'pool.stopped': { target: '.checking', actions: ['advanceClock', 'recordStopped', 'rebalance'] },
        'model.unload': { target: '.checking', actions: ['advanceClock', 'unloadModel'] },
        stop: { target: 'stopped' },
      },
      initial: 'checking',
      states: {
        // Every change of the table comes here: a TTL may run now, or none.
        checking: {
          always: [{ guard: 'ttlPending', target: 'watching' }, { target: 'quiet' }],
        },
        // Waits for the first running TTL to end; any change of the table schedules it anew.
        watching: {
          entry: 'scheduleTtlCheck',
          after: {
            ttlCheck: { target: 'checking', actions: ['advanceClockToTtlCheck', 'unloadExpired'] },
          },
        },
        quiet: {},
      },
    },
    // The runtime stops every pool.
    stopped: { type: 'final' },
  },
});

export type ModelsMachine = typeof modelsMachine;
