import type { IncomingMessage } from 'node:http';
import type { MiddlewareHandler } from 'hono';

// HTTP/1.0 has no chunked transfer coding: a streamed answer to a 1.0 client goes without it, its end
// marked by the closing of the connection (Hono's streaming helpers always set the header).
export const http10Framing: MiddlewareHandler = async (c, next) => {
  await next();
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming?.httpVersion !== '1.0' || !c.res.headers.has('transfer-encoding')) return;
  c.res.headers.delete('transfer-encoding');
  c.res.headers.set('connection', 'close');
};
