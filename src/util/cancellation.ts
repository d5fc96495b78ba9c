/** What the parts that serve a request see of its cancellation: whether, why, and a way to hear of it. */
export interface CancelSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  /** Calls `listener` once when the request is cancelled (at once if it already is); returns how to stop listening. */
  onAbort(listener: (reason: unknown) => void): () => void;
}

const nothing = () => undefined;

// A request's cancellation, as an AbortController gives it but at a fraction of its cost (an
// AbortSignal is an EventTarget and a transferable object; building one per request showed in the
// gateway's profile). A driver that needs a real AbortSignal (fetch) makes one and follows this.
export class Cancellation implements CancelSignal {
  #aborted = false;
  #reason: unknown = undefined;
  #listeners: Array<(reason: unknown) => void> | null = null;

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  abort(reason: unknown = new Error('This operation was aborted')): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    const listeners = this.#listeners;
    this.#listeners = null;
    for (const listener of listeners ?? []) listener(reason);
  }

  onAbort(listener: (reason: unknown) => void): () => void {
    if (this.#aborted) {
      listener(this.#reason);
      return nothing;
    }
    (this.#listeners ??= []).push(listener);
    return () => {
      const index = this.#listeners?.indexOf(listener) ?? -1;
      if (index >= 0) this.#listeners!.splice(index, 1);
    };
  }
}
