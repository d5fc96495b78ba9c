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
      busy: false,
      usedRun: null,
      conversation: null,
      recycledRun: null,
    })),
    cleanWanted: 0,
    now: input.now ?? 0,
    idleCheckAt: 0,
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
        // Waits for the next conversation to idle out. A route, an answer or the end of a request only
        // pushes a conversation's idle end later, so the check is scheduled anew only when it fires.
        watching: {
          entry: 'scheduleIdleCheck',
          after: {
            idleCheck: { target: 'watching', reenter: true, actions: ['advanceClockToIdleCheck', 'recycleIdleConversations'] },
          },
          on: {
            'request.routed': { actions: 'recordRoute' },
            'conversations.answered': { actions: 'recordAnswers' },
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
