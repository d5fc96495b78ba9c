/** Sees what goes into a queue as it happens, before any consumer takes it. */
export interface QueueObserver<T> {
  pushed(value: T): void;
  /** The queue ended or failed: nothing more will come. */
  settled(): void;
}

// A push-based async iterable: producers push values, end or fail it; one consumer iterates.
// Taking from the front moves a head (compacted now and then), so a long backlog drains linearly.
// A settled queue lets go of its observer: an answer's queue is still held for a while by objects
// that are dead but already in V8's old generation, which a young-generation GC cannot tell are dead;
// through the observer it kept the whole request alive with it, and under load every request's
// objects were then promoted and collected only by full GCs (bench/gateway-overhead: a fifth of the
// throughput lost after the first full GC; issue 13).
export class AsyncQueue<T> implements AsyncIterable<T> {
  private values: Array<T | undefined> = [];
  private head = 0;
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | null = null;
  private ended = false;
  private failure: { error: unknown } | null = null;

  #observer: QueueObserver<T> | undefined;

  constructor(observer?: QueueObserver<T>) {
    this.#observer = observer;
  }

  push(value: T): void {
    if (this.ended || this.failure) return;
    this.#observer?.pushed(value);
    if (this.waiter) {
      const { resolve } = this.waiter;
      this.waiter = null;
      resolve({ value, done: false });
    } else {
      this.values.push(value);
    }
  }

  end(): void {
    if (this.ended || this.failure) return;
    this.ended = true;
    this.waiter?.resolve({ value: undefined, done: true });
    this.waiter = null;
    this.#settle();
  }

  fail(error: unknown): void {
    if (this.ended || this.failure) return;
    this.failure = { error };
    this.waiter?.reject(error);
    this.waiter = null;
    this.#settle();
  }

  #settle(): void {
    const observer = this.#observer;
    this.#observer = undefined;
    observer?.settled();
  }

  get settled(): boolean {
    return this.ended || this.failure !== null;
  }

  private take(): T | undefined {
    if (this.head >= this.values.length) return undefined;
    const value = this.values[this.head];
    this.values[this.head++] = undefined;
    if (this.head >= 1024 && this.head * 2 >= this.values.length) {
      this.values = this.values.slice(this.head);
      this.head = 0;
    }
    return value;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const value = this.take();
        if (value !== undefined) return Promise.resolve({ value, done: false });
        if (this.failure) return Promise.reject(this.failure.error);
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          this.waiter = { resolve, reject };
        });
      },
      return: () => {
        this.end();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
