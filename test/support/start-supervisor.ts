import { defaultPolicy, type LifecyclePolicy } from '../../machines/policy/policy.js';
import { Cancellation } from '../../src/util/cancellation.js';
import type { Driver } from '../../src/drivers/driver.js';
import { createLogger } from '../../src/util/logger.js';
import {
  createSupervisor,
  topLevelState,
  type SupervisorEvent,
  type WorkerSnapshot,
} from '../../src/supervisor/supervisor.js';

/** Short timings so real-process tests finish in seconds; each test overrides what it exercises. */
export const fastPolicy: LifecyclePolicy = {
  ...defaultPolicy,
  startupTimeoutMs: 5000,
  verifyTimeoutMs: 2000,
  backoffBaseMs: 20,
  backoffMaxMs: 200,
  cleanBudgetBackoffMs: 50,
  drainTimeoutMs: 3000,
  stopGraceMs: 500,
};

export interface StartOptions {
  driver: Driver;
  policy?: Partial<LifecyclePolicy>;
  workers?: number;
  queueSize?: number;
  queueWaitMs?: number;
  memoryPollMs?: number;
}

// A real supervisor over real processes, with its log lines, its events and the events its machines
// received captured.
export function startSupervisor(options: StartOptions) {
  const logs: string[] = [];
  const events: SupervisorEvent[] = [];
  /** Every event an actor of the pool received, as `actor id: event type`. */
  const received: string[] = [];
  const supervisor = createSupervisor({
    workers: options.workers ?? 1,
    driver: options.driver,
    policy: { ...fastPolicy, ...options.policy },
    queueSize: options.queueSize ?? 256,
    queueWaitMs: options.queueWaitMs ?? 10_000,
    memoryPollMs: options.memoryPollMs ?? 100,
    logger: createLogger('text', (line) => logs.push(line)),
    inspect: (event) => {
      if (event.type === '@xstate.event') received.push(`${(event.actorRef as { id?: string }).id}: ${event.event.type}`);
    },
  });
  supervisor.subscribe((event) => events.push(event));
  supervisor.start();

  const snapshotOf = (workerId: string) => supervisor.snapshots().find((w) => w.id === workerId)!.snapshot;

  /** Resolves when the worker's snapshot satisfies the predicate; fails with what it saw instead. */
  const waitFor = (workerId: string, predicate: (snapshot: WorkerSnapshot) => boolean, timeoutMs = 60_000) =>
    new Promise<WorkerSnapshot>((resolve, reject) => {
      if (predicate(snapshotOf(workerId))) return resolve(snapshotOf(workerId));
      const seen: string[] = [];
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new Error(`timed out after ${timeoutMs} ms; states seen: ${seen.join(" → ")}; now ${topLevelState(snapshotOf(workerId))} run ${snapshotOf(workerId).context.run} (${snapshotOf(workerId).context.restartReason ?? "first run"})`));
      }, timeoutMs);
      const unsubscribe = supervisor.subscribe((event) => {
        if (event.type === 'transition' && event.workerId === workerId) seen.push(event.to);
        const snapshot = snapshotOf(workerId);
        if (predicate(snapshot)) {
          clearTimeout(timer);
          unsubscribe();
          resolve(snapshot);
        }
      });
    });

  const waitForState = (workerId: string, state: string, timeoutMs?: number) =>
    waitFor(workerId, (snapshot) => topLevelState(snapshot) === state, timeoutMs);

  const transitions = (workerId = 'w1') =>
    events.filter((e): e is Extract<SupervisorEvent, { type: 'transition' }> => e.type === 'transition' && e.workerId === workerId).map((e) => e.to);

  /** Sends one chat request and collects its answer text. */
  const ask = async (content: string, signal = new Cancellation()) => {
    const dispatch = await supervisor.dispatch({ messages: [{ role: 'user', content }] }, signal);
    let text = '';
    let done: unknown = null;
    for await (const event of dispatch.events) {
      if (event.type === 'delta') text += event.content;
      else done = event;
    }
    return { text, done, workerId: dispatch.workerId };
  };

  return { supervisor, logs, events, received, snapshotOf, waitFor, waitForState, transitions, ask, stop: () => supervisor.stop() };
}
