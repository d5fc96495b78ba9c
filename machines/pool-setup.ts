import { assign, enqueueActions, setup } from 'xstate';
import { idleSlots, isIsolated, needsSpare, nextIdleDelay, recycleVictim, rememberLost } from './policy/pool-policy.js';
import type { PoolContext, PoolEmitted, PoolEvent, PoolMachineInput, PoolSlot } from './pool-types.js';
import { workerMachine } from './worker-machine.js';

const updateSlot = (context: PoolContext, slotId: string, update: (slot: PoolSlot) => PoolSlot): PoolSlot[] =>
  context.slots.map((slot) => (slot.id === slotId ? update(slot) : slot));

// The pool machine's types and named implementations; its states are in pool-machine.ts.
export const poolSetup = setup({
  types: {
    context: {} as PoolContext & { workerInputs: PoolMachineInput['workers'] },
    events: {} as PoolEvent,
    input: {} as PoolMachineInput,
    emitted: {} as PoolEmitted,
  },
  actors: {
    // One worker statechart per process; the runtime provides it with its real actors.
    worker: workerMachine,
  },
  delays: {
    idleCheck: ({ context }) => Math.max(0, context.idleCheckAt - context.now),
  },
  guards: {
    spareNeeded: ({ context }) => needsSpare(context),
  },
  actions: {
    spawnWorkers: enqueueActions(({ context, enqueue }) => {
      context.slots.forEach((slot, index) => {
        enqueue.spawnChild('worker', { id: slot.id, systemId: slot.id, input: context.workerInputs[index]! });
      });
    }),
    stopWorkers: enqueueActions(({ context, enqueue }) => {
      for (const slot of context.slots) enqueue.sendTo(slot.id, { type: 'stop' });
    }),
    recordWorker: assign(({ context, event }) => {
      if (event.type !== 'worker.changed') return {};
      const slot = context.slots.find((s) => s.id === event.slotId);
      if (!slot) return {};
      // A new run holds nothing, and an unavailable process holds nothing any more.
      const gone = event.run !== slot.run || event.tag === 'unavailable';
      // A conversation is idle from the end of its process's last request (answered or not).
      const rested = slot.busy && !event.busy && slot.conversation !== null;
      const conversation = gone ? null : rested ? { ...slot.conversation!, lastUsedAt: Math.max(slot.conversation!.lastUsedAt, event.at) } : slot.conversation;
      return {
        now: Math.max(context.now, event.at),
        lost: gone ? rememberLost(context.lost, [slot.conversation]) : context.lost,
        slots: updateSlot(context, event.slotId, (s) => ({
          ...s,
          tag: event.tag,
          run: event.run,
          stateful: event.stateful,
          busy: event.busy,
          conversation,
        })),
      };
    }),
    recordRoute: assign(({ context, event }) => {
      if (event.type !== 'request.routed') return {};
      const continued = event.result === 'continued';
      return {
        now: Math.max(context.now, event.at),
        slots: context.slots.map((slot) => {
          if (slot.id !== event.slotId) {
            // A client's key names one conversation: a new one under that name replaces the old.
            if (!continued && event.key !== null && slot.conversation?.key === event.key) {
              return { ...slot, conversation: { ...slot.conversation, key: null } };
            }
            return slot;
          }
          if (slot.run !== event.run) return slot;
          const conversation =
            continued && slot.conversation
              ? { ...slot.conversation, lastUsedAt: event.at }
              : { digest: '', key: event.key, messageCount: 0, turns: 0, lastUsedAt: event.at };
          return { ...slot, usedRun: event.run, conversation };
        }),
      };
    }),
    recordAnswers: assign(({ context, event }) => {
      if (event.type !== 'conversations.answered') return {};
      let slots = context.slots;
      for (const answer of event.answers) {
        slots = slots.map((slot) =>
          slot.id !== answer.slotId || slot.run !== answer.run
            ? slot
            : {
                ...slot,
                conversation: {
                  digest: answer.digest,
                  key: answer.key ?? (answer.continued ? (slot.conversation?.key ?? null) : null),
                  messageCount: answer.messageCount,
                  turns: (answer.continued ? (slot.conversation?.turns ?? 0) : 0) + 1,
                  lastUsedAt: answer.at,
                },
              },
        );
      }
      return { now: Math.max(context.now, event.at), slots };
    }),
    recordCleanWanted: assign(({ context, event }) =>
      event.type === 'clean.wanted' ? { cleanWanted: event.count, now: Math.max(context.now, event.at) } : {},
    ),
    // The least recently used conversation's process restarts clean (a requested restart).
    recycleLeastRecentlyUsed: enqueueActions(({ context, enqueue }) => {
      const victim = recycleVictim(context);
      if (!victim) return;
      enqueue.assign({
        lost: rememberLost(context.lost, [victim.conversation]),
        slots: updateSlot(context, victim.id, (slot) => ({ ...slot, recycledRun: slot.run, conversation: null })),
      });
      enqueue.sendTo(victim.id, { type: 'recycle' });
      enqueue.emit({ type: 'slot.recycled', slotId: victim.id, reason: 'lru', digest: victim.conversation?.digest ?? null });
    }),
    scheduleIdleCheck: assign(({ context }) => ({ idleCheckAt: context.now + nextIdleDelay(context) })),
    advanceClockToIdleCheck: assign(({ context }) => ({ now: Math.max(context.now, context.idleCheckAt) })),
    // Idle conversations end: a stateful process is recycled, a stateless one just forgets.
    recycleIdleConversations: enqueueActions(({ context, enqueue }) => {
      const idle = idleSlots(context, context.now);
      if (idle.length === 0) return;
      const ids = new Set(idle.map((slot) => slot.id));
      enqueue.assign({
        lost: rememberLost(context.lost, idle.map((slot) => slot.conversation)),
        slots: context.slots.map((slot) =>
          ids.has(slot.id)
            ? { ...slot, conversation: null, recycledRun: isIsolated(context, slot) && slot.tag === 'accepting' ? slot.run : slot.recycledRun }
            : slot,
        ),
      });
      for (const slot of idle) {
        if (!isIsolated(context, slot) || slot.tag !== 'accepting') continue;
        enqueue.sendTo(slot.id, { type: 'recycle' });
        enqueue.emit({ type: 'slot.recycled', slotId: slot.id, reason: 'idle', digest: slot.conversation?.digest ?? null });
      }
    }),
  },
});
