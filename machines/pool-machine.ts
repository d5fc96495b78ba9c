import { poolSetup } from './pool-setup.js';

// The worker pool (SPEC §6): it spawns one worker statechart per process, learns their changes,
// keeps the conversation table, recycles idle and least recently used conversations, and keeps
// `standby` clean spares.
export const poolMachine = poolSetup.createMachine({
  id: 'pool',
  context: ({ input }) => ({
    policy: input.policy,
    workerInputs: input.workers,
    slots: input.workers.map((worker) => ({
      id: worker.workerId,
      tag: 'waiting' as const,
      run: 0,
      stateful: false,
      inFlight: 0,
      usedRun: null,
      conversation: null,
      recycledRun: null,
    })),
    cleanWanted: 0,
    now: 0,
    idleCheckAt: 0,
    routes: { continued: 0, new: 0, lost: 0 },
    lost: [],
  }),
  entry: 'spawnWorkers',
  initial: 'serving',
  states: {
    serving: {
      // Whenever a clean process is short, the least recently used idle conversation gives its up.
      always: { guard: 'spareNeeded', actions: 'recycleLeastRecentlyUsed' },
      on: {
        'worker.changed': { actions: 'recordWorker' },
        'clean.wanted': { actions: 'recordCleanWanted' },
        stop: { target: 'stopping' },
      },
      initial: 'watching',
      states: {
        // Waits for the next conversation to idle out; every route or answer schedules anew.
        watching: {
          entry: 'scheduleIdleCheck',
          after: {
            idleCheck: { target: 'watching', reenter: true, actions: ['advanceClockToIdleCheck', 'recycleIdleConversations'] },
          },
          on: {
            'request.routed': { target: 'watching', reenter: true, actions: ['recordRoute', 'announceRoute'] },
            'conversation.answered': { target: 'watching', reenter: true, actions: 'recordAnswer' },
          },
        },
      },
    },
    // Every worker is told to stop; the workers' machines end their processes.
    stopping: {
      entry: 'stopWorkers',
    },
  },
});

export type PoolMachine = typeof poolMachine;
