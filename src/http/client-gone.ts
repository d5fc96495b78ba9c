import type { ServerResponse } from 'node:http';
import type { Context } from 'hono';
import { nodeResponse } from './incoming.js';

/** Why a request is cancelled when its client disconnected before the answer was complete. */
export class ClientDisconnectedError extends Error {
  constructor() {
    super('client disconnected');
    this.name = 'ClientDisconnectedError';
  }
}

/** Everyone watching one Node response for its client: one 'close' listener for all of them. */
class ResponseWatch {
  readonly #callbacks: Array<() => void> = [];

  constructor(private readonly outgoing: ServerResponse) {
    outgoing.on('close', this.#onClose);
  }

  readonly #onClose = () => {
    if (this.outgoing.writableFinished) return;
    for (const gone of [...this.#callbacks]) gone();
  };

  add(gone: () => void): void {
    this.#callbacks.push(gone);
  }

  /** Stops calling `gone`; true when no one watches any more (the listener is gone too). */
  remove(gone: () => void): boolean {
    const at = this.#callbacks.indexOf(gone);
    if (at >= 0) this.#callbacks.splice(at, 1);
    if (this.#callbacks.length > 0) return false;
    this.outgoing.off('close', this.#onClose);
    return true;
  }
}

type WithWatch = Context<{ Variables: { clientWatch?: ResponseWatch } }>;

// Calls `gone` when the client disconnects before the response is complete. Under
// @hono/node-server it watches the Node response directly (building the fetch Request and its
// AbortSignal for every request costs more than the rest of the gateway), with one listener for every
// watcher of the request (its log line, its answer, its span); elsewhere it uses the request's signal.
// Returns the function that stops watching.
export function onClientGone(c: Context, gone: () => void): () => void {
  const outgoing = nodeResponse(c);
  if (outgoing && typeof outgoing.once === 'function') {
    const watch = (c as WithWatch).get('clientWatch') ?? new ResponseWatch(outgoing);
    (c as WithWatch).set('clientWatch', watch);
    watch.add(gone);
    return () => {
      if (watch.remove(gone) && (c as WithWatch).get('clientWatch') === watch) (c as WithWatch).set('clientWatch', undefined);
    };
  }
  const signal = c.req.raw.signal;
  signal.addEventListener('abort', gone, { once: true });
  return () => signal.removeEventListener('abort', gone);
}
