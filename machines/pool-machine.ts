import { newSlot, poolSetup } from './pool-setup.js';

// The worker pool (docs/architecture.md#conversations-and-the-pool): it spawns one worker statechart per process, learns their changes,
// keeps the conversation table, and decides how many processes there are: it spawns spares (a few
// at a time, as many as new conversations need, within the memory budget and the process cap),
// recycles the least recently used idle conversation when no new process fits, recycles full lanes,
// and stops processes above its floor that idle out, exceed the budget or are spares in excess.
export const poolMachine = poolSetup.createMachine({
  id: 'pool',
  context: ({ input }) => ({
    policy: input.policy,
    workerInputs: input.workers,
    slots: input.workers.map((worker) => newSlot(worker.workerId, input.now ?? 0)),
    cleanWanted: 0,
    now: input.now ?? 0,
    idleCheckAt: 0,
    lost: [],
    laneTurns: [],
    arrivals: [],
    coldStartMs: 2000,
    nextSlot: input.workers.length + 1,
    slotPrefix: input.slotPrefix ?? 'w',
  }),
  entry: 'spawnWorkers',
  initial: 'serving',
  states: {
    serving: {
      // After every event, one decision at a time while one applies: grow, recycle, shrink.
      always: [
        { guard: 'spawnWanted', actions: 'spawnSlot' },
        { guard: 'spareNeeded', actions: 'recycleLeastRecentlyUsed' },
        { guard: 'laneFull', actions: 'recycleFullLane' },
        { guard: 'overBudget', actions: 'retireOverBudget' },
        { guard: 'spareInExcess', actions: 'retireExcessSpare' },
      ],
      on: {
        'worker.changed': { actions: 'recordWorker' },
        'worker.measured': { actions: 'recordMemory' },
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
