import type { Context } from 'hono';
import { nodeRequest } from './incoming.js';

// HTTP/1.0 has no chunked transfer coding: a stream to a 1.0 client goes without it, its end marked by
// the closing of the connection (Hono's streaming helpers always set the header). Only streams carry
// the header, so only the stream helpers (bounded-sse, admin-events) call this.
export function framedForClient(c: Context, response: Response): Response {
  const incoming = nodeRequest(c);
  if (incoming?.httpVersion !== '1.0' || !response.headers.has('transfer-encoding')) return response;
  response.headers.delete('transfer-encoding');
  response.headers.set('connection', 'close');
  return response;
}
