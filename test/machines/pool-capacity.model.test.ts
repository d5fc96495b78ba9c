import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, SimulatedClock } from 'xstate';
import { createTestModel } from 'xstate/graph';
import { chooseRoute, isClean, routeChangesPool } from '../../machines/policy/pool-policy.js';
import { poolMachine } from '../../machines/pool-machine.js';
import type { WorkerMachineInput } from '../../machines/worker-types.js';
import type { WorkerMachine } from '../../machines/worker-machine.js';
import { answeredDigest, prefixDigests } from '../../src/conversations/conversation-digest.js';
import type { ChatMessage } from '../../src/drivers/driver.js';
import { capacityModel, MAX_PROCESSES, SPAWN_CONCURRENCY, STANDBY, type CapacityModelContext, type Proc } from './pool-capacity-model.js';

const MIB = 1024 * 1024;
/** What each process measures: three fit in the budget, or two once they swell. */
const SIZE = { normal: 100 * MIB, heavy: 160 * MIB };
const BUDGET = 450 * MIB;
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

interface FakeWorker {
  tag: 'accepting' | 'waiting';
  run: number;
  busy: boolean;
  /** The run it accepts in once started (a recycle or a first start moves it on; a crash already did). */
  nextRun: number;
}

// The real pool machine with fake worker children and a simulated clock. The harness plays the
// facade and the workers: it routes through the pure policy (claiming before telling the route, as
// the facade does), answers, measures each process's memory, starts what the pool spawned or
// recycled when the model says so, and ends what the pool stopped.
function createCapacityHarness() {
  const clock = new SimulatedClock();
  const commands: Array<{ id: string; type: string }> = [];
  const did: string[] = [];
  const fakeWorker = fromCallback<{ type: string }, WorkerMachineInput>(({ input, receive }) => {
    receive((event) => commands.push({ id: input.workerId, type: event.type }));
  });
  const machine = poolMachine.provide({ actors: { worker: fakeWorker as unknown as WorkerMachine } });
  const actor = createActor(machine, {
    clock,
    input: {
      policy: {
        workers: 1,
        standby: STANDBY,
        isolation: 'conversation',
        tenantIsolation: {},
        // Conversations never idle out here (the clock moves a millisecond a step).
        sessionIdleMs: 1e9,
        maxProcesses: MAX_PROCESSES,
        memoryBudgetBytes: BUDGET,
        spawnConcurrency: SPAWN_CONCURRENCY,
      },
      workers: [{ workerId: 'w1' }, { workerId: 'w2' }],
    },
  });
  actor.on('slot.spawned', (event) => did.push(`spawned ${event.reason}`));
  actor.on('slot.recycled', (event) => did.push(`recycled ${event.reason}`));
  actor.on('slot.retired', (event) => did.push(`retired ${event.reason}`));
  actor.start();

  const workers = new Map<string, FakeWorker>();
  /** Each conversation's messages so far, by its harness id; and which process holds it. */
  const histories = new Map<number, ChatMessage[]>();
  const holder = new Map<number, string>();
  /** Conversations held, least recently answered (or begun) first. */
  let recency: number[] = [];
  /** Requests in flight: the conversation and where. */
  const inFlight: Array<{ conv: number; slotId: string; run: number; messages: ChatMessage[]; continued: boolean }> = [];
  let waiting: ChatMessage[] | null = null;
  let conversations = 0;
  let heavy = false;
  let seen = 0;

  const context = () => actor.getSnapshot().context;
  const changed = (id: string) => {
    const w = workers.get(id)!;
    actor.send({ type: 'worker.changed', slotId: id, tag: w.tag, run: w.run, stateful: true, busy: w.busy, at: clock.now() });
  };
  const measure = (id: string) => actor.send({ type: 'worker.measured', slotId: id, rssBytes: heavy ? SIZE.heavy : SIZE.normal, at: clock.now() });
  const forget = (id: string) => {
    for (const [conv, slot] of holder) {
      if (slot !== id) continue;
      holder.delete(conv);
      recency = recency.filter((c) => c !== conv);
    }
  };

  for (const id of ['w1', 'w2']) {
    workers.set(id, { tag: 'accepting', run: 1, busy: false, nextRun: 2 });
    changed(id);
    measure(id);
  }

  // Like the facade's choose(): the policy decides; the worker is claimed (busy) before the route is told.
  const route = (messages: ChatMessage[], conv: number): boolean => {
    const candidates = [...workers].map(([id, w]) => ({ id, accepting: w.tag === 'accepting', free: !w.busy, load: w.busy ? 1 : 0 }));
    const decision = chooseRoute(context(), candidates, { prefixDigests: prefixDigests(messages), key: null, hasAssistant: messages.some((m) => m.role === 'assistant'), tenant: 'anonymous' }, 0);
    if (decision.kind === 'wait') {
      expect(decision.clean).toBe(true);
      actor.send({ type: 'clean.wanted', count: 1, at: clock.now() });
      return false;
    }
    const w = workers.get(decision.slotId)!;
    const tell = routeChangesPool(context(), decision.slotId, decision.result, null);
    w.busy = true;
    changed(decision.slotId);
    if (tell) {
      const cleanWanted = waiting ? { cleanWanted: 0 } : {};
      actor.send({ type: 'request.routed', slotId: decision.slotId, run: w.run, result: decision.result, key: null, tenant: 'anonymous', lane: false, ...cleanWanted, at: clock.now() });
    }
    const continued = decision.result === 'continued';
    expect(continued).toBe(holder.get(conv) === decision.slotId);
    inFlight.push({ conv, slotId: decision.slotId, run: w.run, messages, continued });
    if (!continued) {
      holder.set(conv, decision.slotId);
      recency = [...recency.filter((c) => c !== conv), conv];
    }
    return true;
  };

  // What the workers do with the pool's commands: a recycled one restarts, a stopped one ends; a
  // process the pool spawned starts and is measured. Repeated until the pool asks nothing more.
  const applyCommands = async () => {
    for (let round = 0; round < 10; round++) {
      const slots = context().slots.map((slot) => slot.id);
      const fresh = commands.slice(seen);
      seen = commands.length;
      const spawned = slots.filter((id) => !workers.has(id));
      if (fresh.length === 0 && spawned.length === 0) return;
      for (const id of fresh.filter((c) => c.type === 'stop').map((c) => c.id)) {
        expect(workers.get(id)?.busy, `${id} stopped while answering`).not.toBe(true);
        workers.delete(id);
        forget(id);
      }
      for (const id of fresh.filter((c) => c.type === 'recycle').map((c) => c.id)) {
        const w = workers.get(id);
        if (!w) continue;
        expect(w.busy, `${id} recycled while answering`).toBe(false);
        Object.assign(w, { tag: 'waiting', nextRun: w.run + 1 });
        forget(id);
        changed(id);
      }
      for (const id of spawned) {
        workers.set(id, { tag: 'waiting', run: 1, busy: false, nextRun: 1 });
        changed(id);
        measure(id);
      }
      await settle();
    }
    throw new Error('the pool kept sending commands');
  };

  const step = async (work: () => void) => {
    clock.increment(1);
    did.length = 0;
    work();
    await settle();
    await applyCommands();
  };

  const idleHeld = () => recency.filter((conv) => !inFlight.some((r) => r.conv === conv));

  return {
    actor,
    did,
    newConversation: () =>
      step(() => {
        const conv = ++conversations;
        const messages: ChatMessage[] = [{ role: 'user', content: `conversation ${conv}` }];
        histories.set(conv, messages);
        if (!route(messages, conv)) waiting = messages;
      }),
    continueLeastRecent: () =>
      step(() => {
        const conv = idleHeld()[0]!;
        const messages = [...histories.get(conv)!, { role: 'user' as const, content: `more of ${conv}` }];
        histories.set(conv, messages);
        expect(route(messages, conv)).toBe(true);
      }),
    answer: () =>
      step(() => {
        // The request whose conversation was used least recently (as the model's ANSWER).
        const index = inFlight.reduce((best, r, i) => (recency.indexOf(r.conv) < recency.indexOf(inFlight[best]!.conv) ? i : best), 0);
        const [request] = inFlight.splice(index, 1) as [(typeof inFlight)[number]];
        const content = `answer to ${request.conv} (${request.messages.length})`;
        const digest = answeredDigest(prefixDigests(request.messages).at(-1)!, { content, toolCalls: [] });
        histories.set(request.conv, [...request.messages, { role: 'assistant', content }]);
        recency = [...recency.filter((c) => c !== request.conv), request.conv];
        actor.send({
          type: 'conversations.answered',
          answers: [{ slotId: request.slotId, run: request.run, digest, key: null, tenant: 'anonymous', lane: false, messageCount: request.messages.length + 1, continued: request.continued, at: clock.now() }],
          at: clock.now(),
        });
        workers.get(request.slotId)!.busy = false;
        changed(request.slotId);
      }),
    started: () =>
      step(() => {
        const id = context().slots.map((slot) => slot.id).find((slotId) => workers.get(slotId)?.tag === 'waiting')!;
        const w = workers.get(id)!;
        Object.assign(w, { tag: 'accepting', run: w.nextRun, nextRun: w.nextRun + 1 });
        changed(id);
        // The router pumps: the request waiting for a clean process takes this one.
        if (waiting) {
          const conv = conversations;
          expect(route(waiting, conv)).toBe(true);
          waiting = null;
        }
      }),
    crashLeastRecent: () =>
      step(() => {
        const id = holder.get(idleHeld()[0]!)!;
        const w = workers.get(id)!;
        Object.assign(w, { tag: 'waiting', run: w.run + 1, nextRun: w.run + 1 });
        forget(id);
        changed(id);
      }),
    resize: (swollen: boolean) =>
      step(() => {
        heavy = swollen;
        for (const id of workers.keys()) measure(id);
      }),
    /** The processes as the model names them, in slot order. */
    procs: (): Proc[] =>
      context().slots.map((slot) => {
        const w = workers.get(slot.id)!;
        const conv = [...holder].find(([, id]) => id === slot.id)?.[0];
        if (w.tag === 'waiting') return { kind: 'starting', conv: null };
        if (conv === undefined) {
          expect(isClean(slot), `${slot.id} holds nothing but is not clean`).toBe(true);
          return { kind: 'spare', conv: null };
        }
        expect(slot.conversation, `${slot.id}'s conversation`).not.toBeNull();
        return { kind: w.busy ? 'busy' : 'idle', conv: recency.indexOf(conv) };
      }),
    starting: () => [...workers.values()].filter((w) => w.tag === 'waiting').length,
  };
}

type Harness = ReturnType<typeof createCapacityHarness>;

function expectMatches(h: Harness, model: CapacityModelContext) {
  expect(h.procs()).toEqual(model.procs);
  expect(h.did).toEqual(model.did);
  expect(h.actor.getSnapshot().context.cleanWanted).toBe(model.waiting ? 1 : 0);
}

const model = createTestModel(capacityModel);

function runPath(path: ReturnType<typeof model.getShortestPaths>[number]) {
  return async () => {
    const h = createCapacityHarness();
    await model.testPath(path, {
      states: {
        serving: (snapshot) => {
          const context = snapshot.context as CapacityModelContext;
          expectMatches(h, context);
          // A step in which the pool began a start (spawn or recycle) ends with no more than
          // spawn_concurrency processes starting.
          if (context.did.some((d) => d.startsWith('spawned') || d.startsWith('recycled'))) expect(h.starting()).toBeLessThanOrEqual(SPAWN_CONCURRENCY);
        },
      },
      events: {
        NEW_CONVERSATION: () => h.newConversation(),
        CONTINUE: () => h.continueLeastRecent(),
        ANSWER: () => h.answer(),
        STARTED: () => h.started(),
        CRASH: () => h.crashLeastRecent(),
        SWELL: () => h.resize(true),
        SHRINK: () => h.resize(false),
      },
    });
    h.actor.stop();
  };
}

describe('pool machine: model-based paths of growth and retirement (issue 28)', () => {
  const shortest = model.getShortestPaths();

  it('the abstract pool yields its paths (the count follows the model, not the machine)', () => {
    expect(shortest.length).toBeGreaterThan(0);
  });

  it('the paths reach every decision: growth past the floor, refills, LRU recycling at the cap and the budget, both retirements', () => {
    const did = new Set(shortest.flatMap((path) => path.steps.flatMap((s) => (s.state.context as CapacityModelContext).did)));
    expect([...did].sort()).toEqual(['recycled lru', 'retired budget', 'retired excess', 'spawned spare']);
  });

  for (const path of shortest) it(path.description, runPath(path));
});
