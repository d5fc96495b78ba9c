import { fromCallback, fromPromise, type AnyEventObject } from 'xstate';
import type { ProbeActorInput, ProcessActorInput, StopperActorInput, WorkerEvent } from '../../machines/worker-types.js';
import type { WorkerRuntime } from './worker-runtime.js';

// The worker machine's actors for every process of the pool: each call goes to the runtime of the
// worker named in the actor's input, so one provided machine serves all the pool's children.
export function workerActors(runtimeOf: (workerId: string) => WorkerRuntime) {
  return {
    workerProcess: fromCallback<AnyEventObject, ProcessActorInput>(({ input, sendBack }) =>
      runtimeOf(input.workerId).logic.workerProcess({ input, sendBack: (event: WorkerEvent) => sendBack(event) }),
    ),
    verificationProbe: fromPromise<void, ProbeActorInput>(({ input }) => runtimeOf(input.workerId).logic.verificationProbe({ input })),
    processStopper: fromPromise<void, StopperActorInput>(({ input }) => runtimeOf(input.workerId).logic.processStopper({ input })),
  };
}
