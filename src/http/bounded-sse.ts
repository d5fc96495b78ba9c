import type { Context } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { ClientTooSlowError } from '../errors.js';
import { framedForClient } from './http10.js';
import { nodeResponse } from './incoming.js';
import type { StreamBudget } from './stream-budget.js';
import { TextBacklog } from './text-backlog.js';

export interface SSEMessage {
  data: string;
  event?: string;
}

/** An SSE stream whose writes never wait for the client: they queue, up to a bound. */
export interface BoundedSSE {
  /** Queues one event; throws ClientTooSlowError when more than the limit would be waiting. */
  writeSSE(message: SSEMessage): Promise<void>;
  /** Queues the stream's last event whatever the backlog (an error event must still be said). */
  writeLast(message: SSEMessage): Promise<void>;
  onAbort(listener: () => void): void;
  /** Calls `listener` when the global budget evicts this stream (its backlog is dropped). */
  onEvicted(listener: (error: ClientTooSlowError) => void): void;
  readonly aborted: boolean;
  readonly closed: boolean;
}

export interface BoundedSSEOptions {
  /** Most bytes that may wait for the client (stream_buffer_bytes). */
  limitBytes: number;
  /** Once the answer has ended, how long the client has to take the rest before it is disconnected. */
  flushTimeoutMs: number;
  /** The bytes waiting for every stream's client together (stream_budget_bytes). */
  budget?: StreamBudget;
  /** The stream's last words when the budget evicts it after its answer ended (the API's error event). */
  farewell?: (error: ClientTooSlowError) => SSEMessage[];
}

const frame = (message: SSEMessage) =>
  `${message.event ? `event: ${message.event}\n` : ''}${message.data
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}`)
    .join('\n')}\n\n`;

// Like Hono's streamSSE, but the answer is read from the worker as fast as the worker says it and the
// client is fed from a bounded backlog in the background: a slow client never slows the reading of the
// worker (so the idle timer measures the worker's silence), and one that falls `limitBytes` behind is
// told so (ClientTooSlowError) instead of growing the gateway's memory. Draining is linear. With a
// budget, the backlogs of all streams together are bounded too: the budget may evict this stream
// (its backlog dropped, its listeners told, then the error event said).
export function streamBoundedSSE(c: Context, options: BoundedSSEOptions, run: (stream: BoundedSSE) => Promise<void>): Response {
  return framedForClient(c, streamSSE(c, async (sse) => {
    const { budget } = options;
    const backlog = new TextBacklog(budget ? (delta) => budget.changed(delta) : undefined);
    let pumping: Promise<void> | null = null;
    let evicted: ClientTooSlowError | null = null;
    let running = true;
    const evictedListeners: Array<(error: ClientTooSlowError) => void> = [];
    const pump = async () => {
      for (let text = backlog.shift(); text !== undefined && !sse.aborted; text = backlog.shift()) await sse.write(text);
      pumping = null;
    };
    const enqueue = (text: string) => {
      backlog.push(text);
      pumping ??= pump();
      return Promise.resolve();
    };
    const member = {
      get bytes() {
        return backlog.bytes;
      },
      evict: () => {
        evicted = new ClientTooSlowError(budget!.limitBytes, 'stream_budget_bytes');
        backlog.clear();
        for (const listener of evictedListeners.splice(0)) listener(evicted);
        if (!running) for (const message of options.farewell?.(evicted) ?? []) void enqueue(frame(message));
      },
    };
    budget?.join(member);
    const stream: BoundedSSE = {
      writeSSE: (message) => {
        if (evicted) return Promise.reject(evicted);
        const text = frame(message);
        if (backlog.bytes > 0 && backlog.bytes + Buffer.byteLength(text) > options.limitBytes) {
          return Promise.reject(new ClientTooSlowError(options.limitBytes));
        }
        return enqueue(text);
      },
      writeLast: (message) => enqueue(frame(message)),
      onAbort: (listener) => sse.onAbort(listener),
      onEvicted: (listener) => {
        evictedListeners.push(listener);
      },
      get aborted() {
        return sse.aborted;
      },
      get closed() {
        return sse.closed;
      },
    };
    try {
      await run(stream);
      running = false;
      await flushed(sse, () => pumping, options.flushTimeoutMs, c);
    } finally {
      budget?.leave(member);
      backlog.clear();
    }
  }));
}

// Waits for the backlog to reach the client; past the timeout the client is disconnected.
async function flushed(sse: SSEStreamingApi, pumping: () => Promise<void> | null, timeoutMs: number, c: Context): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    for (let current = pumping(); current; current = pumping()) {
      if ((await Promise.race([current, timedOut])) === 'timeout') {
        sse.abort();
        nodeResponse(c)?.destroy();
        return;
      }
    }
  } finally {
    clearTimeout(timer);
  }
}
