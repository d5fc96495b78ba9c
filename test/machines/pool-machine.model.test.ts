import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, SimulatedClock } from 'xstate';
import { createTestModel } from 'xstate/graph';
import { chooseRoute, isClean, routeChangesPool } from '../../machines/policy/pool-policy.js';
import { poolMachine } from '../../machines/pool-machine.js';
import type { WorkerMachineInput } from '../../machines/worker-types.js';
import type { WorkerMachine } from '../../machines/worker-machine.js';
import { answeredDigest, prefixDigests } from '../../src/conversations/conversation-digest.js';
import type { ChatMessage } from '../../src/drivers/driver.js';
import { poolModel, STANDBY, type PoolModelContext, type SlotId } from './pool-model.js';

const IDLE_MS = 1000;
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

// The real pool machine with fake worker children and a simulated clock. The harness plays the
// facade: it routes requests through the pure policy, answers them, and restarts a worker when the
// pool sends it `recycle` (or when the model crashes it).
function createPoolHarness() {
  const clock = new SimulatedClock();
  const commands: Array<{ id: SlotId; type: string }> = [];
  const fakeWorker = fromCallback<{ type: string }, WorkerMachineInput>(({ input, receive }) => {
    receive((event) => commands.push({ id: input.workerId as SlotId, type: event.type }));
  });
  const machine = poolMachine.provide({ actors: { worker: fakeWorker as unknown as WorkerMachine } });
  const actor = createActor(machine, {
    clock,
    input: {
      // Two processes at the cap: the pool recycles, it does not grow (pool-capacity.model.test.ts grows).
      policy: { workers: 1, standby: STANDBY, isolation: 'conversation', tenantIsolation: {}, sessionIdleMs: IDLE_MS, maxProcesses: 2, memoryBudgetBytes: 2 ** 40, spawnConcurrency: 2 },
      workers: [{ workerId: 'w1' }, { workerId: 'w2' }],
    },
  });
  actor.start();
  const worker = { w1: { tag: 'accepting' as 'accepting' | 'waiting', run: 1 }, w2: { tag: 'accepting' as 'accepting' | 'waiting', run: 1 } };
  const held = new Map<SlotId, ChatMessage[]>();
  const lost: ChatMessage[][] = [];
  let waiting: ChatMessage[] | null = null;
  const recycling = new Set<SlotId>();
  let answers = 0;
  let seenCommands = 0;
  const state = { lastRoute: null as PoolModelContext['lastRoute'], lastRecycled: [] as SlotId[] };

  const changed = (id: SlotId) =>
    actor.send({ type: 'worker.changed', slotId: id, tag: worker[id].tag, run: worker[id].run, stateful: true, busy: false, at: clock.now() });
  (['w1', 'w2'] as const).forEach(changed);

  const tick = () => clock.increment(1);
  const context = () => actor.getSnapshot().context;

  // Like the facade's choose(): the policy decides, the harness claims and answers.
  const tryRoute = (messages: ChatMessage[]): boolean => {
    const candidates = (['w1', 'w2'] as const).map((id) => ({ id, accepting: worker[id].tag === 'accepting', free: true, load: 0 }));
    const digests = prefixDigests(messages);
    const decision = chooseRoute(context(), candidates, { prefixDigests: digests, key: null, hasAssistant: messages.some((m) => m.role === 'assistant'), tenant: 'anonymous' }, 0);
    if (decision.kind === 'wait') {
      actor.send({ type: 'clean.wanted', count: decision.clean ? 1 : 0, at: clock.now() });
      return false;
    }
    if (waiting) actor.send({ type: 'clean.wanted', count: 0, at: clock.now() });
    const slot = decision.slotId as SlotId;
    const run = worker[slot].run;
    // As the facade: the route is told only when it changes the pool (here: a clean process is used).
    if (routeChangesPool(context(), slot, decision.result, null)) {
      actor.send({ type: 'request.routed', slotId: slot, run, result: decision.result, key: null, tenant: 'anonymous', lane: false, at: clock.now() });
    }
    const answer = `answer ${++answers}`;
    const digest = answeredDigest(digests.at(-1)!, { content: answer, toolCalls: [] });
    actor.send({
      type: 'conversations.answered',
      answers: [{ slotId: slot, run, digest, key: null, tenant: 'anonymous', lane: false, messageCount: messages.length + 1, continued: decision.result === 'continued', at: clock.now() }],
      at: clock.now(),
    });
    held.set(slot, [...messages, { role: 'assistant', content: answer }]);
    state.lastRoute = { slot, result: decision.result as 'new' | 'continued' | 'lost' };
    return true;
  };

  const goneFrom = (id: SlotId) => {
    const history = held.get(id);
    if (history) lost.push(history);
    held.delete(id);
  };

  // What the workers do with the commands the pool sent during a step: a recycled one drains.
  const applyCommands = () => {
    const fresh = commands.slice(seenCommands);
    seenCommands = commands.length;
    const recycled = fresh.filter((c) => c.type === 'recycle').map((c) => c.id);
    for (const id of recycled) {
      recycling.add(id);
      worker[id].tag = 'waiting';
      goneFrom(id);
      changed(id);
    }
    return recycled;
  };

  const step = async (work: () => void | Promise<void>) => {
    tick();
    state.lastRecycled = [];
    await work();
    await settle();
    state.lastRecycled = applyCommands().sort();
    await settle();
  };

  return {
    actor,
    state,
    worker,
    context,
    newConversation: () =>
      step(() => {
        const messages: ChatMessage[] = [{ role: 'user', content: `conversation ${answers + 1}` }];
        if (!tryRoute(messages)) {
          waiting = messages;
          state.lastRoute = null;
        }
      }),
    lostTurn: () =>
      step(() => {
        expect(tryRoute([...lost.shift()!, { role: 'user', content: 'and now?' }])).toBe(true);
      }),
    continueOn: (id: SlotId) =>
      step(() => {
        expect(tryRoute([...held.get(id)!, { role: 'user', content: `more for ${id}` }])).toBe(true);
      }),
    crash: (id: SlotId) =>
      step(() => {
        worker[id].tag = 'waiting';
        worker[id].run += 1;
        goneFrom(id);
        changed(id);
      }),
    restarted: (id: SlotId) =>
      step(() => {
        // A recycled worker comes back as its next run (a crashed one already is).
        worker[id] = { tag: 'accepting', run: worker[id].run + (recycling.delete(id) ? 1 : 0) };
        changed(id);
        // The router pumps: a request waiting for a clean process takes this one.
        if (waiting && tryRoute(waiting)) waiting = null;
      }),
    // Session idle time passes (twice over: the pool's check is scheduled from its last event).
    idle: () =>
      step(async () => {
        clock.increment(IDLE_MS);
        await settle();
        clock.increment(IDLE_MS);
      }),
  };
}

type Harness = ReturnType<typeof createPoolHarness>;

function expectMatches(h: Harness, model: PoolModelContext) {
  for (const id of ['w1', 'w2'] as const) {
    const slot = h.context().slots.find((s) => s.id === id)!;
    const seen = h.worker[id].tag === 'waiting' ? 'restarting' : slot.conversation ? 'holding' : isClean(slot) ? 'clean' : 'used';
    expect(seen, `${id}`).toBe(model.slots[id]);
  }
  expect(h.state.lastRoute).toEqual(model.lastRoute);
  expect(h.state.lastRecycled).toEqual([...model.lastRecycled].sort());
  expect(h.context().cleanWanted).toBe(model.waiting ? 1 : 0);
}

const model = createTestModel(poolModel);

function runPath(path: ReturnType<typeof model.getShortestPaths>[number]) {
  return async () => {
    const h = createPoolHarness();
    await model.testPath(path, {
      states: { serving: (snapshot) => expectMatches(h, snapshot.context as PoolModelContext) },
      events: {
        NEW_CONVERSATION: () => h.newConversation(),
        LOST_TURN: () => h.lostTurn(),
        CONTINUE_W1: () => h.continueOn('w1'),
        CONTINUE_W2: () => h.continueOn('w2'),
        CRASH_W1: () => h.crash('w1'),
        CRASH_W2: () => h.crash('w2'),
        RESTARTED_W1: () => h.restarted('w1'),
        RESTARTED_W2: () => h.restarted('w2'),
        IDLE: () => h.idle(),
      },
    });
    h.actor.stop();
  };
}

describe('pool machine: model-based paths (spares, recycling, lost conversations)', () => {
  const shortest = model.getShortestPaths();

  it('the abstract pool yields its paths (the count follows the model, not the machine)', () => {
    expect(shortest.length).toBe(35);
  });

  for (const path of shortest) it(path.description, runPath(path));
});
