import { QueueFullError, QueueTimeoutError, ShuttingDownError, WorkerOfflineError } from '../errors.js';
import type { CancelSignal } from '../util/cancellation.js';

export interface RouterOptions {
  queueSize: number;
  queueWaitMs: number;
  /** Every process is unavailable: requests fail at once instead of waiting. */
  allUnavailable(): boolean;
}

/**
 * Picks a process for one request, or says why none fits yet (null: wait). It is called again
 * whenever something changed, so it sees the pool as it is at that moment.
 */
export type Chooser<T> = () => T | null;

interface Waiter<T> {
  choose: Chooser<T>;
  resolve: (choice: T) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  cleanup: () => void;
}

// A bounded FIFO of requests waiting for a process. `choose` runs synchronously and claims what it
// picks before anyone else can, so two requests never take the same slot; requests that find
// nothing wait until a change lets them in, the wait expires, or every process is unavailable.
export function createRouter(options: RouterOptions) {
  const queue: Waiter<unknown>[] = [];
  let closed = false;
  const retryAfterS = () => Math.max(1, Math.ceil(options.queueWaitMs / 1000 / 4));

  return {
    /** The choice at once when no request waits before this one and one fits; null: wait() for it. */
    take<T>(choose: Chooser<T>): T | null {
      if (closed) throw new ShuttingDownError();
      if (options.allUnavailable()) throw new WorkerOfflineError();
      return queue.length === 0 ? choose() : null;
    },
    /** Queues the request until `choose` finds it a process (after take() found none). */
    wait<T>(choose: Chooser<T>, signal?: CancelSignal): Promise<T> {
      if (queue.length >= options.queueSize) return Promise.reject(new QueueFullError(queue.length, retryAfterS()));
      return new Promise<T>((resolve, reject) => {
        const started = Date.now();
        let stopWatching: (() => void) | undefined;
        const waiter: Waiter<T> = {
          choose,
          resolve: (choice) => {
            waiter.cleanup();
            resolve(choice);
          },
          reject: (error) => {
            waiter.cleanup();
            reject(error);
          },
          timer: setTimeout(() => waiter.reject(new QueueTimeoutError(Date.now() - started, retryAfterS())), options.queueWaitMs),
          cleanup: () => {
            clearTimeout(waiter.timer);
            stopWatching?.();
            const index = queue.indexOf(waiter as Waiter<unknown>);
            if (index >= 0) queue.splice(index, 1);
          },
        };
        queue.push(waiter as Waiter<unknown>);
        stopWatching = signal?.onAbort(() => waiter.reject(new Error('the client went away while queued')));
      });
    },
    /** Call whenever a process's state or load changed. */
    pump(): void {
      if (queue.length === 0) return;
      if (options.allUnavailable()) {
        for (const waiter of [...queue]) waiter.reject(new WorkerOfflineError());
        return;
      }
      // FIFO, except that a waiter nothing fits yet (its conversation's process is busy, or it
      // avoids the run that just failed it) lets the ones behind it go first.
      // A chooser that refuses its request (its conversation is lost) fails that request alone.
      for (const waiter of [...queue]) {
        let choice: unknown;
        try {
          choice = waiter.choose();
        } catch (error) {
          waiter.reject(error as Error);
          continue;
        }
        if (choice !== null) waiter.resolve(choice);
      }
    },
    depth: () => queue.length,
    close(): void {
      closed = true;
      for (const waiter of [...queue]) waiter.reject(new ShuttingDownError());
    },
  };
}
