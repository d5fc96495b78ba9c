import { classifyExit } from '../../machines/policy/exit-classification.js';
import type { WorkerExit } from '../../machines/worker-types.js';
import type { ExitFacts } from './worker-process.js';

// The one place where what the OS said becomes the machine's serialisable `worker.exited` payload.
export function toWorkerExit(facts: ExitFacts, requested: boolean, at: number): WorkerExit {
  return {
    code: facts.code,
    signal: facts.signal,
    class: classifyExit({ code: facts.code, signal: facts.signal, requested, spawnError: facts.spawnError }),
    runDurationMs: facts.runDurationMs,
    at,
    error: facts.spawnError,
  };
}
