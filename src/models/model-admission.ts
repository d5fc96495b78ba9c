import type { ModelsEvent } from '../../machines/models-types.js';
import { QueueTimeoutError } from '../errors.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { CancelSignal } from '../util/cancellation.js';
import type { ModelEntryRuntime, ModelWaiter } from './model-entry.js';

/** Retry-After for a request that could not wait: a quarter of queue_wait_ms, at least 1 s. */
export const retryAfterS = (queueWaitMs: number) => Math.max(1, Math.ceil(queueWaitMs / 4000));

// A request waits for its model: it tells the table it arrived and resolves when the table admits it
// (model.admitted, at once when the model serves). It gives up after queue_wait_ms or when its client
// goes, and then tells the table it withdrew.
export function waitForAdmission(entry: ModelEntryRuntime, signal: CancelSignal, queueWaitMs: number, tell: (event: ModelsEvent) => void): Promise<void> {
  if (signal.aborted) return Promise.reject(new Error('the client went away before its model could take the request'));
  return new Promise<void>((resolve, reject) => {
    const started = Date.now();
    let settled = false;
    let stopWatching = () => {};
    const finish = () => {
      settled = true;
      clearTimeout(timer);
      stopWatching();
    };
    const giveUp = (error: Error) => {
      if (settled) return;
      finish();
      const index = entry.waiters.indexOf(waiter);
      if (index >= 0) entry.waiters.splice(index, 1);
      tell({ type: 'request.withdrawn', modelId: entry.model.id, at: Date.now() });
      reject(error);
    };
    const waiter: ModelWaiter = {
      admit: () => {
        finish();
        resolve();
      },
      reject: (error) => {
        finish();
        reject(error);
      },
    };
    const timer = setTimeout(() => giveUp(new QueueTimeoutError(Date.now() - started, retryAfterS(queueWaitMs))), queueWaitMs);
    // Queued before the table hears of it: an admission at once finds it.
    entry.waiters.push(waiter);
    tell({ type: 'request.arrived', modelId: entry.model.id, at: Date.now() });
    if (!settled) stopWatching = signal.onAbort(() => giveUp(new Error('the client went away while its model was starting')));
  });
}

// An admitted request that goes to a worker's server itself (embeddings, count_tokens) rather than through
// the pool's queue: it waits for a worker of the model to accept (a model just loaded is still starting
// its processes), bounded by what is left of queue_wait_ms and by its client.
export function waitForAcceptingWorker(pool: Pick<Supervisor, 'snapshots' | 'subscribe'>, signal: CancelSignal, waitMs: number): Promise<void> {
  const accepting = () => pool.snapshots().some((w) => w.snapshot.hasTag('accepting'));
  if (accepting()) return Promise.resolve();
  if (signal.aborted) return Promise.reject(new Error('the client went away while its model was starting'));
  return new Promise<void>((resolve, reject) => {
    const started = Date.now();
    let settled = false;
    let stopWatching = () => {};
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe();
      stopWatching();
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(() => finish(new QueueTimeoutError(Date.now() - started, retryAfterS(waitMs))), waitMs);
    const unsubscribe = pool.subscribe(() => {
      if (accepting()) finish();
    });
    stopWatching = signal.onAbort(() => finish(new Error('the client went away while its model was starting')));
  });
}
