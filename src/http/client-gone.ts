import type { Context } from 'hono';
import { nodeResponse } from './incoming.js';

/** Why a request is cancelled when its client disconnected before the answer was complete. */
export class ClientDisconnectedError extends Error {
  constructor() {
    super('client disconnected');
    this.name = 'ClientDisconnectedError';
  }
}

// Calls `gone` when the client disconnects before the response is complete. Under
// @hono/node-server it watches the Node response directly (building the fetch Request and its
// AbortSignal for every request costs more than the rest of the gateway); elsewhere it uses the
// request's signal. Returns the function that stops watching.
export function onClientGone(c: Context, gone: () => void): () => void {
  const outgoing = nodeResponse(c);
  if (outgoing && typeof outgoing.once === 'function') {
    const onClose = () => {
      if (!outgoing.writableFinished) gone();
    };
    outgoing.on('close', onClose);
    return () => outgoing.off('close', onClose);
  }
  const signal = c.req.raw.signal;
  signal.addEventListener('abort', gone, { once: true });
  return () => signal.removeEventListener('abort', gone);
}
