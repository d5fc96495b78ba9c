import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { createTestModel } from 'xstate/graph';
import { createHarness } from './harness.js';
import {
  MODEL_POLICY,
  MODEL_SEED,
  MODEL_WORKER_COUNT,
  TAGS,
  lifecycleModel,
  modelStateKey,
  SCENARIOS,
} from './lifecycle-model.js';
import type { ModelContext } from './lifecycle-model.js';

type Harness = ReturnType<typeof createHarness>;
type Model = ReturnType<typeof createActor<typeof lifecycleModel>>;

const MIB = 1024 * 1024;
const RSS = { none: null, under: MIB / 2, over: 2 * MIB } as const;

function topLevel(value: unknown): string {
  return typeof value === 'string' ? value : Object.keys(value as object)[0]!;
}

// The real machine against the model's expectation: state, tags, counters, reasons, the backoff the
// model computed from the policy, the events emitted so far, what the stopper was told and which
// process actors are still running.
function expectMatches(h: Harness, model: Model) {
  const { value, context: m } = model.getSnapshot() as { value: unknown; context: ModelContext };
  const top = topLevel(value);
  expect(h.state()).toBe(top);
  if (top === 'starting') expect(h.actor.getSnapshot().matches(value as never)).toBe(true);
  if (top === 'healthy') expect(h.actor.getSnapshot().matches({ healthy: m.busy ? 'busy' : 'idle' })).toBe(true);
  for (const tag of ['accepting', 'waiting', 'unavailable'] as const) expect(h.hasTag(tag), tag).toBe(TAGS[top] === tag);
  const c = h.context();
  expect({
    consecutiveFailures: c.consecutiveFailures,
    crashCount: c.crashCount,
    restartCount: c.restartCount,
    run: c.run,
    busy: c.busy,
    turns: c.usage.turns,
    rssBytes: c.rssBytes,
    peersAccepting: c.peersAccepting,
    cleanExits: c.cleanExits.length,
    memoryRestarts: c.memoryRestarts.length,
    reason: c.reason,
    restartReason: c.restartReason,
    backoffMs: c.backoffMs,
    offlineReason: c.offlineReason,
    lastExit: c.lastExit?.class ?? null,
  }).toEqual({
    consecutiveFailures: m.failures,
    crashCount: m.crashes,
    restartCount: m.restarts,
    run: m.run,
    busy: m.busy,
    turns: m.turns,
    rssBytes: RSS[m.rss],
    peersAccepting: m.peers,
    cleanExits: m.cleanExits,
    memoryRestarts: m.memoryRestarts,
    reason: m.reason,
    restartReason: m.restartReason,
    backoffMs: m.backoffMs,
    offlineReason: m.offlineReason,
    lastExit: m.lastExit,
  });
  expect(h.emitted).toMatchObject(m.emitted);
  expect(h.stopped.map((s) => s.reason)).toEqual(m.stopperReasons);
  expect(h.liveRuns()).toEqual(top === 'offline' || top === 'stopped' ? [] : [m.run]);
}

// How each abstract event is made to happen to the real machine.
function executors(h: Harness, model: Model): Record<string, () => Promise<void>> {
  const send = async (event: Parameters<Harness['actor']['send']>[0]) => {
    h.actor.send(event);
    await h.advance(0);
  };
  const memory = (rssBytes: number) => send({ type: 'memory.sampled', rssBytes, at: h.clock.now() });
  return {
    READY: () => h.bringUp(),
    PROBE_PASSED: async () => {
      h.control.answerProbe(true);
      await h.advance(0);
    },
    PROBE_FAILED: async () => {
      h.control.answerProbe(false);
      await h.advance(0);
    },
    VERIFY_TIMEOUT: () => h.advance(MODEL_POLICY.verifyTimeoutMs),
    STARTUP_TIMEOUT: () => h.advance(MODEL_POLICY.startupTimeoutMs),
    CRASH: () => h.exit(1),
    CLEAN_EXIT: () => h.exit(0),
    REQUESTED_EXIT: () => h.exit(null, 'SIGTERM', true),
    REQUESTS_BEGAN: () => send({ type: 'requests.began' }),
    REQUESTS_ENDED: () => send({ type: 'requests.ended' }),
    REQUEST_STALLED: () => send({ type: 'request.stalled', requestId: 'r1' }),
    WEDGE_TIMEOUT: () => h.advance(MODEL_POLICY.wedgeTimeoutMs),
    STABLE_RUN: () => h.advance(MODEL_POLICY.stableRunMs),
    CONTEXT_PROACTIVE: () => send({ type: 'context.reported', tokens: 0, turns: 8 }),
    CONTEXT_HARD: () => send({ type: 'context.reported', tokens: 0, turns: 10 }),
    MEMORY_UNDER: () => memory(RSS.under),
    MEMORY_OVER: () => memory(RSS.over),
    PEERS_UP: () => send({ type: 'peers.updated', accepting: 1 }),
    PEERS_DOWN: () => send({ type: 'peers.updated', accepting: 0 }),
    RESTART: () => send({ type: 'restart' }),
    DRAIN: () => send({ type: 'drain' }),
    RECYCLE: () => send({ type: 'recycle' }),
    DRAIN_TIMEOUT: async () => {
      await h.advance(MODEL_POLICY.drainTimeoutMs / 2);
      h.actor.send({ type: 'worker.output' });
      await h.advance(MODEL_POLICY.drainTimeoutMs / 2);
    },
    STOPPER_DONE: async () => {
      h.control.answerStopper(true);
      await h.advance(0);
    },
    STOPPER_FAILED: async () => {
      h.control.answerStopper(false);
      await h.advance(0);
    },
    // The model, not the machine, says how long the backoff is.
    BACKOFF_ELAPSED: async () => {
      const ms = (model.getSnapshot().context as ModelContext).backoffMs;
      await h.advance(ms - 1);
      expect(h.state()).toBe('recovering');
      await h.advance(1);
    },
    RECOVER: () => send({ type: 'recover' }),
    STOP: () => send({ type: 'stop' }),
  };
}

const model = createTestModel(lifecycleModel, {
  serializeState: (snapshot, event, previous) => modelStateKey(snapshot as never, event, previous as never),
  // Only events the model acts on: an ignored one would still reach the real machine.
  filterEvents: (snapshot, event) => snapshot.status === 'active' && snapshot.can(event),
});
const stateKeys = ['starting', 'healthy', 'draining', 'restarting', 'recovering', 'offline', 'stopped'];

type Path = ReturnType<typeof model.getShortestPaths>[number];

// A scenario's path: the model run through the events, one step each (an event the model ignores
// would make a path the model does not describe, so it is refused).
function scenarioPath(events: string[]): Path {
  const actor = createActor(lifecycleModel).start();
  const steps: Path['steps'] = [{ event: { type: 'xstate.init' } as never, state: actor.getSnapshot() }];
  for (const type of events) {
    const before = actor.getSnapshot();
    if (!before.can({ type } as never)) throw new Error(`the model ignores ${type} after ${steps.map((s) => s.event.type).join(' → ')}`);
    actor.send({ type } as never);
    steps.push({ event: { type } as never, state: actor.getSnapshot() });
  }
  return { state: actor.getSnapshot(), steps, weight: steps.length, description: events.join(' → '), test: async () => ({ steps: [], state: { error: null } }) } as unknown as Path;
}

function runPath(path: Path) {
  return async () => {
    const h = createHarness({ policy: MODEL_POLICY, seed: MODEL_SEED, workerCount: MODEL_WORKER_COUNT });
    h.control.probe = 'manual';
    h.control.stopperManual = true;
    const shadow = createActor(lifecycleModel).start();
    const drive = executors(h, shadow);
    const events = Object.fromEntries(
      Object.entries(drive).map(([type, exec]) => [
        type,
        async () => {
          await exec();
          shadow.send({ type } as never);
        },
      ]),
    );
    const check = () => expectMatches(h, shadow);
    await model.testPath(path, { states: Object.fromEntries(stateKeys.map((key) => [key, check])), events });
    h.actor.stop();
  };
}

describe('worker machine: model-based paths', () => {
  const paths = model.getShortestPaths();
  const scenarios = SCENARIOS.map(scenarioPath);

  // The count depends only on the model (its states, events and the key that tells states apart),
  // not on the machine: a change here means the model changed, so review the paths it adds or drops.
  it('the lifecycle model yields the expected number of paths', () => {
    expect(paths.length).toBe(182);
  });

  for (const path of [...paths, ...scenarios]) {
    const events = path.steps.slice(1).map((step) => step.event.type);
    it(`${events.join(' → ')} ⇒ ${JSON.stringify(path.state.value)}`, runPath(path));
  }
});
