import { createActor, fromCallback, fromPromise, SimulatedClock } from 'xstate';
import type { AnyEventObject } from 'xstate';
import { workerMachine } from '../../machines/worker-machine.js';
import { classifyExit } from '../../machines/policy/exit-classification.js';
import type { LifecyclePolicy } from '../../machines/policy/policy.js';
import type {
  ProcessActorInput,
  StopperActorInput,
  WorkerEmitted,
  WorkerMachineInput,
} from '../../machines/worker-types.js';

export type ProbeOutcome = 'pass' | 'fail' | 'hang' | 'manual';

export interface HarnessOptions {
  policy?: Partial<LifecyclePolicy>;
  seed?: number;
  workerCount?: number;
  isolation?: 'isolated' | 'shared';
}

export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

// The real machine with fake actors and a simulated clock: tests drive it with the events the
// runtime would send, and read what it spawned, stopped and emitted.
export function createHarness(options: HarnessOptions = {}) {
  const clock = new SimulatedClock();
  const spawned: ProcessActorInput[] = [];
  const stopped: StopperActorInput[] = [];
  const emitted: WorkerEmitted[] = [];
  const control = {
    probe: 'pass' as ProbeOutcome,
    stopperFails: false,
    /** With probe 'manual': settles the probe in flight. */
    answerProbe: (_passed: boolean) => undefined as void,
  };
  const machine = workerMachine.provide({
    actors: {
      workerProcess: fromCallback<AnyEventObject, ProcessActorInput>(({ input }) => {
        spawned.push(input);
        return undefined;
      }),
      verificationProbe: fromPromise(async () => {
        if (control.probe === 'fail') throw new Error('probe answered with an error');
        if (control.probe === 'hang') await new Promise(() => undefined);
        if (control.probe === 'manual') {
          await new Promise<void>((resolve, reject) => {
            control.answerProbe = (passed) => (passed ? resolve() : reject(new Error('probe failed')));
          });
        }
      }),
      processStopper: fromPromise<void, StopperActorInput>(async ({ input }) => {
        stopped.push(input);
        if (control.stopperFails) throw new Error('process survived SIGKILL');
      }),
    },
  });
  const input: WorkerMachineInput = { workerId: 'w1', seed: options.seed ?? 7, workerCount: options.workerCount ?? 1 };
  if (options.policy) input.policy = options.policy;
  if (options.isolation) input.isolation = options.isolation;
  const actor = createActor(machine, { input, clock });
  actor.on('*', (event) => emitted.push(event));
  actor.start();
  let pid = 100;

  const harness = {
    actor,
    clock,
    spawned,
    stopped,
    emitted,
    control,
    /** The top-level state name. */
    state(): string {
      const value = actor.getSnapshot().value;
      return typeof value === 'string' ? value : Object.keys(value)[0]!;
    },
    context() {
      return actor.getSnapshot().context;
    },
    hasTag(tag: 'accepting' | 'waiting' | 'unavailable') {
      return actor.getSnapshot().hasTag(tag);
    },
    async advance(ms: number) {
      clock.increment(ms);
      await settle();
    },
    /** spawned → ready → probe; resolves once the probe has answered. */
    async bringUp(limits?: { tokenLimit?: number; turnLimit?: number }) {
      actor.send({ type: 'worker.spawned', pid: pid++, at: clock.now() });
      actor.send(limits ? { type: 'worker.ready', models: ['demo'], limits } : { type: 'worker.ready', models: ['demo'] });
      await settle();
    },
    async exit(code: number | null, signal: string | null = null, requested = false) {
      actor.send({
        type: 'worker.exited',
        code,
        signal,
        class: classifyExit({ code, signal, requested }),
        runDurationMs: 10,
        at: clock.now(),
        error: null,
      });
      await settle();
    },
    /** Exit with code, then wait out whatever backoff follows and bring the next run up. */
    async exitAndRecover(code: number) {
      await harness.exit(code);
      if (harness.state() === 'recovering') await harness.advance(harness.context().backoffMs);
      if (harness.state() === 'starting') await harness.bringUp();
    },
    emittedOf<T extends WorkerEmitted['type']>(type: T) {
      return emitted.filter((e): e is Extract<WorkerEmitted, { type: T }> => e.type === type);
    },
  };
  return harness;
}
