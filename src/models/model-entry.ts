import type { AnswerEvent } from '../drivers/driver.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { ModelConfig } from './models-config.js';

/** A request waiting for its model to serve. */
export interface ModelWaiter {
  admit(): void;
  reject(error: Error): void;
}

/** One model as the runtime holds it: its configuration, its pool while loaded, its waiting requests. */
export interface ModelEntryRuntime {
  model: ModelConfig;
  /** The model's pool while it is loaded (starting, serving, draining, stopping). */
  supervisor: Supervisor | null;
  stopSubscription: (() => void) | null;
  /** Oldest first: the machine admits them in this order. */
  waiters: ModelWaiter[];
  /** The pool is being stopped: resolves when every process of it has ended. */
  stopping: Promise<void> | null;
}

export const SEPARATOR = ':';

/** A worker's id across models: `<model>:<worker>` (a worker's own id never holds the separator). */
export const globalWorkerId = (modelId: string, workerId: string) => `${modelId}${SEPARATOR}${workerId}`;

export function splitWorkerId(id: string): { modelId: string; workerId: string } | null {
  const at = id.lastIndexOf(SEPARATOR);
  return at <= 0 ? null : { modelId: id.slice(0, at), workerId: id.slice(at + 1) };
}

// The answer's events as they are, with `ended` called exactly once however the stream ends (done,
// failed, or given up by the reader): the model's in-flight count follows it.
export function endingWith(events: AsyncIterable<AnswerEvent>, ended: () => void): AsyncIterable<AnswerEvent> {
  return {
    [Symbol.asyncIterator]() {
      const inner = events[Symbol.asyncIterator]();
      let open = true;
      const end = () => {
        if (!open) return;
        open = false;
        ended();
      };
      return {
        async next() {
          try {
            const result = await inner.next();
            if (result.done) end();
            return result;
          } catch (error) {
            end();
            throw error;
          }
        },
        async return(value?: unknown) {
          try {
            return (await inner.return?.(value)) ?? { done: true as const, value: undefined };
          } finally {
            end();
          }
        },
      };
    },
  };
}
