import { describe, expect, it } from 'vitest';
import { createTestModel } from 'xstate/graph';
import { defaultPolicy } from '../../machines/policy/policy.js';
import { createHarness } from './harness.js';
import { MAX_FAILURES, lifecycleModel } from './lifecycle-model.js';

type Harness = ReturnType<typeof createHarness>;
type ModelSnapshot = { value: unknown; context: { failures: number } };

function topLevel(value: unknown): string {
  return typeof value === 'string' ? value : Object.keys(value as object)[0]!;
}

function expectMatches(h: Harness, model: ModelSnapshot) {
  expect(h.state()).toBe(topLevel(model.value));
  if (topLevel(model.value) !== 'stopped') {
    expect(h.context().consecutiveFailures).toBe(model.context.failures);
  }
  if (typeof model.value === 'object' && model.value !== null && 'starting' in model.value) {
    const sub = (model.value as { starting: 'spawning' | 'verifying' }).starting;
    expect(h.actor.getSnapshot().matches({ starting: sub })).toBe(true);
  }
}

function executors(h: Harness) {
  return {
    READY: async () => {
      h.control.probe = 'manual';
      await h.bringUp();
    },
    PROBE_PASSED: async () => {
      h.control.answerProbe(true);
      await h.advance(0);
    },
    PROBE_FAILED: async () => {
      h.control.answerProbe(false);
      await h.advance(0);
    },
    STARTUP_TIMEOUT: async () => h.advance(defaultPolicy.startupTimeoutMs),
    CRASH: async () => h.exit(1),
    CLEAN_EXIT: async () => h.exit(0),
    STABLE_RUN: async () => h.advance(defaultPolicy.stableRunMs),
    BUSY_AT_PROACTIVE_THRESHOLD: async () => {
      h.actor.send({ type: 'request.started', requestId: 'r1' });
      h.actor.send({ type: 'context.reported', tokens: 0, turns: 8 });
    },
    RESTART_IDLE: async () => {
      h.actor.send({ type: 'restart' });
      await h.advance(0);
    },
    WEDGE: async () => {
      h.actor.send({ type: 'request.started', requestId: 'r1' });
      await h.advance(defaultPolicy.wedgeTimeoutMs);
    },
    REQUEST_FINISHED: async () => {
      h.actor.send({ type: 'request.finished', requestId: 'r1' });
      await h.advance(0);
    },
    DRAIN_TIMEOUT: async () => {
      for (let elapsed = 0; elapsed < defaultPolicy.drainTimeoutMs; elapsed += 10_000) {
        h.actor.send({ type: 'worker.output' });
        await h.advance(10_000);
      }
    },
    BACKOFF_ELAPSED: async () => h.advance(h.context().backoffMs),
    RECOVER: async () => {
      h.actor.send({ type: 'recover' });
    },
    STOP: async () => {
      h.actor.send({ type: 'stop' });
    },
  };
}

const model = createTestModel(lifecycleModel);
const stateKeys = ['starting.spawning', 'starting.verifying', 'healthy', 'draining', 'recovering', 'offline', 'stopped'];

function runPath(path: ReturnType<typeof model.getShortestPaths>[number]) {
  return async () => {
    const h = createHarness({ policy: { maxConsecutiveFailures: MAX_FAILURES } });
    const check = (snapshot: ModelSnapshot) => expectMatches(h, snapshot);
    await model.testPath(path, {
      states: Object.fromEntries(stateKeys.map((key) => [key, check])),
      events: executors(h),
    });
  };
}

describe('worker machine: model-based paths', () => {
  const shortest = model.getShortestPaths();
  const simple = model.getSimplePaths({ toState: (s) => s.matches('recovering') });

  it('the lifecycle model yields the expected number of paths (a changed machine changes this count)', () => {
    expect(shortest.length).toBe(52);
    expect(simple.length).toBe(30);
  });

  describe('shortest paths', () => {
    for (const path of shortest) it(path.description, runPath(path));
  });
  describe('simple paths to recovering', () => {
    for (const path of simple) it(path.description, runPath(path));
  });
});
