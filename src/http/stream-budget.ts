import { getHeapStatistics } from 'node:v8';

/** One stream's share of the budget: what waits for its client, and how to end it. */
export interface BudgetedStream {
  /** Bytes queued for this client now. */
  readonly bytes: number;
  /** Ends the stream (client_too_slow) and frees what it held. */
  evict(): void;
}

/** stream_budget_bytes unset: a quarter of V8's heap limit, so slow clients together never fill the heap. */
export const defaultStreamBudgetBytes = () => Math.floor(getHeapStatistics().heap_size_limit / 4);

// The bytes waiting for slow stream clients, summed over every stream. Each stream is already capped
// (stream_buffer_bytes); this caps the sum, so many clients that open a stream and never read cannot
// grow the heap without bound. When a stream's backlog grows the sum past the budget, the streams
// furthest behind (largest backlog first) are evicted until the sum fits again.
export class StreamBudget {
  #total = 0;
  readonly #streams = new Set<BudgetedStream>();

  constructor(readonly limitBytes: number) {}

  get totalBytes(): number {
    return this.#total;
  }

  join(stream: BudgetedStream): void {
    this.#streams.add(stream);
  }

  leave(stream: BudgetedStream): void {
    this.#streams.delete(stream);
  }

  /** A stream's backlog changed by `delta` bytes (negative: the client took some). */
  changed(delta: number): void {
    this.#total += delta;
    if (delta > 0 && this.#total > this.limitBytes) this.#evictFurthestBehind();
  }

  #evictFurthestBehind(): void {
    const behind = [...this.#streams].sort((a, b) => b.bytes - a.bytes);
    for (const stream of behind) {
      if (this.#total <= this.limitBytes) return;
      this.#streams.delete(stream);
      stream.evict();
    }
  }
}
