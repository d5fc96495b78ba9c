import { QueueFullError, QueueTimeoutError, ShuttingDownError, WorkerOfflineError } from '../errors.js';

export interface RoutableWorker {
  id: string;
  accepting(): boolean;
  unavailable(): boolean;
  inFlight(): number;
  maxConcurrency(): number;
}

export interface RouterOptions {
  queueSize: number;
  queueWaitMs: number;
}

interface Waiter<W> {
  eligible: (worker: W) => boolean;
  resolve: (worker: W) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  cleanup: () => void;
}

// Picks the accepting worker with the fewest in-flight requests and a free slot; requests that find
// none wait in a bounded FIFO until one frees up, the wait expires, or every worker is unavailable.
export function createRouter<W extends RoutableWorker>(workers: readonly W[], options: RouterOptions) {
  const queue: Waiter<W>[] = [];
  let closed = false;

  // Ties go round-robin, so equally loaded workers share the traffic (and age at the same pace).
  let turn = 0;
  const pick = (eligible: (worker: W) => boolean = () => true): W | null => {
    let best: W | null = null;
    turn = (turn + 1) % Math.max(1, workers.length);
    for (let i = 0; i < workers.length; i++) {
      const worker = workers[(turn + i) % workers.length]!;
      if (!worker.accepting() || worker.inFlight() >= worker.maxConcurrency() || !eligible(worker)) continue;
      if (!best || worker.inFlight() < best.inFlight()) best = worker;
    }
    return best;
  };
  const allUnavailable = () => workers.every((worker) => worker.unavailable());
  const retryAfterS = () => Math.max(1, Math.ceil(options.queueWaitMs / 1000 / 4));

  return {
    /**
     * Resolves with a worker that has a free slot; `claim` runs synchronously on the chosen worker
     * before anyone else can pick it, so two requests never take the same slot.
     */
    acquire(claim: (worker: W) => void, signal?: AbortSignal, eligible: (worker: W) => boolean = () => true): Promise<W> {
      if (closed) return Promise.reject(new ShuttingDownError());
      if (allUnavailable()) return Promise.reject(new WorkerOfflineError());
      const ready = queue.length === 0 ? pick(eligible) : null;
      if (ready) {
        claim(ready);
        return Promise.resolve(ready);
      }
      if (queue.length >= options.queueSize) return Promise.reject(new QueueFullError(queue.length, retryAfterS()));
      return new Promise<W>((resolve, reject) => {
        const started = Date.now();
        const waiter: Waiter<W> = {
          eligible,
          resolve: (worker) => {
            waiter.cleanup();
            claim(worker);
            resolve(worker);
          },
          reject: (error) => {
            waiter.cleanup();
            reject(error);
          },
          timer: setTimeout(() => waiter.reject(new QueueTimeoutError(Date.now() - started, retryAfterS())), options.queueWaitMs),
          cleanup: () => {
            clearTimeout(waiter.timer);
            signal?.removeEventListener('abort', onAbort);
            const index = queue.indexOf(waiter);
            if (index >= 0) queue.splice(index, 1);
          },
        };
        const onAbort = () => waiter.reject(new Error('the client went away while queued'));
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(waiter);
      });
    },
    /** Call whenever a worker's state or load changed. */
    pump(): void {
      if (queue.length > 0 && allUnavailable()) {
        for (const waiter of [...queue]) waiter.reject(new WorkerOfflineError());
        return;
      }
      // FIFO, except that a waiter no worker may take yet (a re-dispatch avoiding the run that just
      // failed) lets the ones behind it go first.
      for (const waiter of [...queue]) {
        const worker = pick(waiter.eligible);
        if (worker) waiter.resolve(worker);
      }
    },
    depth: () => queue.length,
    close(): void {
      closed = true;
      for (const waiter of [...queue]) waiter.reject(new ShuttingDownError());
    },
  };
}
