import type { SupervisedWorker } from './supervisor-types.js';

// A request whose worker died before it answered anything is re-dispatched once (serve-answer.ts). It
// may be the request that killed that worker (the reference worker's [[crash]], a prompt that crashes
// an agent), or one that merely shared it: no one can tell which. So the second attempt runs in
// quarantine — alone on a worker that holds nothing else, and nothing else is routed there until it
// ends. A request that crashes workers then takes down only itself, never the requests beside it, and
// an innocent one that was beside a crash gets a worker of its own. To keep it from waiting forever
// behind a steady flow, a waiting suspect reserves the least-loaded worker it may use: that worker
// takes nothing new until it is empty.

/** Whether `worker` may take this request now, slot-wise (`suspect`: the request is a re-dispatch). */
export function mayTake(worker: SupervisedWorker, maxConcurrency: number, request: object, suspect: boolean): boolean {
  if (worker.exclusive) return false;
  if (worker.reservedFor !== null && worker.reservedFor !== request) return false;
  return suspect ? worker.leases === 0 : worker.leases < maxConcurrency;
}

/** A suspect found nothing empty: it reserves the least-loaded worker it may use (unless it holds one already). */
export function reserveFor(request: object, usable: SupervisedWorker[]): void {
  if (usable.some((worker) => worker.reservedFor === request)) return;
  const open = usable.filter((worker) => worker.reservedFor === null && !worker.exclusive).sort((a, b) => a.leases - b.leases);
  if (open[0]) open[0].reservedFor = request;
}

/** The request got its worker, or gave up: any reservation it held is released. */
export function release(request: object, workers: readonly SupervisedWorker[]): void {
  for (const worker of workers) if (worker.reservedFor === request) worker.reservedFor = null;
}
