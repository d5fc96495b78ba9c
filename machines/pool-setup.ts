import { assign, enqueueActions, setup } from 'xstate';
import {
  excessSpare,
  fullLane,
  idleOutcome,
  idleSlots,
  isClean,
  needsSpare,
  nextIdleDelay,
  overBudgetVictim,
  recycleVictim,
  rememberArrival,
  smoothColdStart,
  spareCount,
  spawnWanted,
} from './policy/pool-capacity.js';
import { LOST_MEMORY, rememberLost } from './policy/pool-policy.js';
import type { GoneConversation, HeldConversation, PoolContext, PoolEmitted, PoolEvent, PoolMachineInput, PoolSlot } from './pool-types.js';
import { workerMachine } from './worker-machine.js';

const updateSlot = (context: PoolContext, slotId: string, update: (slot: PoolSlot) => PoolSlot): PoolSlot[] =>
  context.slots.map((slot) => (slot.id === slotId ? update(slot) : slot));

/** A process just spawned, as the pool sees it until its worker tells more. */
export const newSlot = (id: string, now: number): PoolSlot => ({
  id,
  tag: 'waiting',
  run: 0,
  stateful: false,
  busy: false,
  usedRun: null,
  tenant: null,
  conversation: null,
  recycledRun: null,
  rssBytes: null,
  full: false,
  waitingSince: now,
});

const digestOf = (conversation: HeldConversation | null): string | null => (conversation && !conversation.lane ? conversation.digest : null);

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
    spawnWanted: ({ context }) => spawnWanted(context),
    spareNeeded: ({ context }) => needsSpare(context),
    laneFull: ({ context }) => fullLane(context) !== null,
    overBudget: ({ context }) => overBudgetVictim(context) !== null,
    spareInExcess: ({ context }) => excessSpare(context) !== null,
  },
  actions: {
    spawnWorkers: enqueueActions(({ context, enqueue }) => {
      context.slots.forEach((slot, index) => {
        enqueue.spawnChild('worker', { id: slot.id, systemId: slot.id, input: context.workerInputs[index]! });
      });
    }),
    // One more process: its worker machine as a child, with the first worker's input under its own id.
    spawnSlot: enqueueActions(({ context, enqueue }) => {
      const id = `${context.slotPrefix}${context.nextSlot}`;
      const template = context.workerInputs[0]!;
      const reason = context.slots.length < context.policy.workers + context.policy.standby ? 'floor' : 'spare';
      enqueue.assign({ nextSlot: context.nextSlot + 1, slots: [...context.slots, newSlot(id, context.now)] });
      enqueue.spawnChild('worker', { id, systemId: id, input: { ...template, workerId: id, seed: (template.seed ?? 1) + context.nextSlot } });
      enqueue.emit({ type: 'slot.spawned', slotId: id, reason });
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
      // A start is timed from when the process stopped accepting to when it accepts again.
      const started = slot.tag === 'waiting' && event.tag === 'accepting' && slot.waitingSince !== null;
      const waitingSince = event.tag === 'waiting' ? (slot.waitingSince ?? event.at) : null;
      return {
        now: Math.max(context.now, event.at),
        lost: gone ? rememberLost(context.lost, [slot.conversation]) : context.lost,
        coldStartMs: started ? smoothColdStart(context.coldStartMs, Math.max(0, event.at - slot.waitingSince!)) : context.coldStartMs,
        slots: updateSlot(context, event.slotId, (s) => ({
          ...s,
          tag: event.tag,
          run: event.run,
          stateful: event.stateful,
          busy: event.busy,
          full: event.full ?? false,
          waitingSince,
          conversation,
        })),
      };
    }),
    recordMemory: assign(({ context, event }) =>
      event.type === 'worker.measured'
        ? { now: Math.max(context.now, event.at), slots: updateSlot(context, event.slotId, (slot) => ({ ...slot, rssBytes: event.rssBytes })) }
        : {},
    ),
    recordRoute: assign(({ context, event }) => {
      if (event.type !== 'request.routed') return {};
      const continued = event.result === 'continued';
      const target = context.slots.find((slot) => slot.id === event.slotId);
      // A clean process taken: one more conversation arrived (the spares are sized to their rate).
      const arrived = target !== undefined && target.run === event.run && isClean(target);
      return {
        now: Math.max(context.now, event.at),
        cleanWanted: event.cleanWanted ?? context.cleanWanted,
        arrivals: arrived ? rememberArrival(context.arrivals, event.at) : context.arrivals,
        slots: context.slots.map((slot) => {
          if (slot.id !== event.slotId) {
            // A client's key names one conversation of its tenant: a new one under that name replaces the old.
            if (!continued && event.key !== null && slot.conversation?.key === event.key && slot.conversation.tenant === event.tenant) {
              return { ...slot, conversation: { ...slot.conversation, key: null } };
            }
            return slot;
          }
          if (slot.run !== event.run) return slot;
          const conversation: HeldConversation =
            continued && slot.conversation
              ? { ...slot.conversation, lastUsedAt: event.at }
              : { digest: '', key: event.key, tenant: event.tenant, lane: event.lane, messageCount: 0, turns: 0, lastUsedAt: event.at };
          return { ...slot, usedRun: event.run, tenant: event.tenant, conversation };
        }),
      };
    }),
    recordAnswers: assign(({ context, event }) => {
      if (event.type !== 'conversations.answered') return {};
      // The answers in order, each replacing what its process holds; the table is rebuilt once, with each
      // process's last state (a batch holds up to 64 answers).
      const held = new Map<string, HeldConversation>();
      const lanes: GoneConversation[] = [];
      for (const answer of event.answers) {
        if (answer.lane) lanes.push({ digest: answer.digest, key: null, tenant: answer.tenant });
        const slot = context.slots.find((s) => s.id === answer.slotId);
        if (!slot || slot.run !== answer.run) continue;
        const before = held.get(slot.id) ?? slot.conversation;
        // A lane keeps being its tenant's lane, one first turn more; any other answer is the conversation held.
        const conversation: HeldConversation = answer.lane
          ? { digest: '', key: null, tenant: answer.tenant, lane: true, messageCount: 0, turns: (before?.lane ? before.turns : 0) + 1, lastUsedAt: answer.at }
          : {
              digest: answer.digest,
              key: answer.key ?? (answer.continued ? (before?.key ?? null) : null),
              tenant: answer.tenant,
              lane: false,
              messageCount: answer.messageCount,
              turns: (answer.continued ? (before?.turns ?? 0) : 0) + 1,
              lastUsedAt: answer.at,
            };
        held.set(slot.id, conversation);
      }
      const slots = context.slots.map((slot) => {
        const conversation = held.get(slot.id);
        return conversation ? { ...slot, tenant: conversation.tenant, conversation } : slot;
      });
      const laneTurns = lanes.length > 0 ? [...context.laneTurns, ...lanes].slice(-LOST_MEMORY) : context.laneTurns;
      return { now: Math.max(context.now, event.at), slots, laneTurns };
    }),
    recordCleanWanted: assign(({ context, event }) =>
      event.type === 'clean.wanted' ? { cleanWanted: event.count, now: Math.max(context.now, event.at) } : {},
    ),
    // The least recently used conversation's process restarts clean (a requested restart).
    recycleLeastRecentlyUsed: enqueueActions(({ context, enqueue }) => {
      const victim = recycleVictim(context)!;
      enqueue.assign({
        lost: rememberLost(context.lost, [victim.conversation]),
        slots: updateSlot(context, victim.id, (slot) => ({ ...slot, recycledRun: slot.run, conversation: null })),
      });
      enqueue.sendTo(victim.id, { type: 'recycle' });
      enqueue.emit({ type: 'slot.recycled', slotId: victim.id, reason: 'lru', digest: digestOf(victim.conversation) });
    }),
    // A lane whose context reached the proactive-restart threshold restarts clean.
    recycleFullLane: enqueueActions(({ context, enqueue }) => {
      const lane = fullLane(context)!;
      enqueue.assign({ slots: updateSlot(context, lane.id, (slot) => ({ ...slot, recycledRun: slot.run, conversation: null })) });
      enqueue.sendTo(lane.id, { type: 'recycle' });
      enqueue.emit({ type: 'slot.recycled', slotId: lane.id, reason: 'lane', digest: null });
    }),
    retireOverBudget: enqueueActions(({ context, enqueue }) => {
      const victim = overBudgetVictim(context)!;
      enqueue.assign({ lost: rememberLost(context.lost, [victim.conversation]), slots: context.slots.filter((slot) => slot.id !== victim.id) });
      enqueue.sendTo(victim.id, { type: 'stop' });
      enqueue.emit({ type: 'slot.retired', slotId: victim.id, reason: 'budget', digest: digestOf(victim.conversation) });
    }),
    retireExcessSpare: enqueueActions(({ context, enqueue }) => {
      const spare = excessSpare(context)!;
      enqueue.assign({ slots: context.slots.filter((slot) => slot.id !== spare.id) });
      enqueue.sendTo(spare.id, { type: 'stop' });
      enqueue.emit({ type: 'slot.retired', slotId: spare.id, reason: 'excess', digest: null });
    }),
    scheduleIdleCheck: assign(({ context }) => ({ idleCheckAt: context.now + nextIdleDelay(context) })),
    advanceClockToIdleCheck: assign(({ context }) => ({ now: Math.max(context.now, context.idleCheckAt) })),
    // Idle conversations end: an isolated process is stopped (above the floor, with the spares
    // wanted) or restarts clean; a shared one just forgets.
    recycleIdleConversations: enqueueActions(({ context, enqueue }) => {
      const idle = idleSlots(context, context.now);
      if (idle.length === 0) return;
      let slots = context.slots.length;
      let spares = spareCount(context);
      const outcomes = new Map(
        idle.map((slot) => {
          const outcome = idleOutcome(context, slot, slots, spares);
          if (outcome === 'retire') slots -= 1;
          if (outcome === 'recycle') spares += 1;
          return [slot.id, outcome] as const;
        }),
      );
      enqueue.assign({
        lost: rememberLost(context.lost, idle.map((slot) => slot.conversation)),
        slots: context.slots
          .filter((slot) => outcomes.get(slot.id) !== 'retire')
          .map((slot) =>
            outcomes.has(slot.id) ? { ...slot, conversation: null, recycledRun: outcomes.get(slot.id) === 'recycle' ? slot.run : slot.recycledRun } : slot,
          ),
      });
      for (const slot of idle) {
        const outcome = outcomes.get(slot.id)!;
        if (outcome === 'forget') continue;
        enqueue.sendTo(slot.id, { type: outcome === 'retire' ? 'stop' : 'recycle' });
        const digest = digestOf(slot.conversation);
        if (outcome === 'retire') enqueue.emit({ type: 'slot.retired', slotId: slot.id, reason: 'idle', digest });
        else enqueue.emit({ type: 'slot.recycled', slotId: slot.id, reason: 'idle', digest });
      }
    }),
  },
});
