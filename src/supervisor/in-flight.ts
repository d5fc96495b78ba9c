import type { ActorRefFrom } from 'xstate';
import type { WorkerMachine } from '../../machines/worker-machine.js';
import { isOnRun } from './supervisor-types.js';

/** How long a worker may go without a request in flight before its machine hears that none is left. */
export const REQUEST_GAP_MS = 5;

// A worker's requests in flight on its current run, as its machine learns them: when there come to be
// some (`requests.began`) and when none is left (`requests.ended`), never each request. The end is
// told REQUEST_GAP_MS after the last request ended, unless another began meanwhile: a worker answering
// requests back to back stays busy to its machine instead of taking an edge pair per request. A
// worker that no longer accepts (draining) hears at once, since its drain waits for exactly that.
export class InFlight {
  #run = 0;
  #count = 0;
  #ending: NodeJS.Timeout | null = null;

  constructor(private readonly actor: ActorRefFrom<WorkerMachine>) {}

  /** The run `run` took a request. */
  began(run: number): void {
    if (run !== this.#run) this.#reset(run);
    if (++this.#count > 1) return;
    if (this.#ending) {
      // The machine was never told the last spell ended: to it, this one goes on.
      clearTimeout(this.#ending);
      this.#ending = null;
      return;
    }
    this.actor.send({ type: 'requests.began' });
  }

  /** A request the run `run` took has ended (answered, failed or given up). */
  ended(run: number): void {
    if (run !== this.#run || --this.#count > 0) return;
    if (!this.actor.getSnapshot().hasTag('accepting')) return this.#tellEnded();
    this.#ending = setTimeout(this.#tellEnded, REQUEST_GAP_MS);
    this.#ending.unref();
  }

  #tellEnded = () => {
    this.#ending = null;
    if (this.#count > 0) return;
    if (isOnRun(this.actor.getSnapshot(), this.#run)) this.actor.send({ type: 'requests.ended' });
  };

  #reset(run: number): void {
    if (this.#ending) clearTimeout(this.#ending);
    this.#ending = null;
    this.#run = run;
    this.#count = 0;
  }
}
