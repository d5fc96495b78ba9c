import type { MiddlewareHandler } from 'hono';
import { uniqueId } from '../util/unique-id.js';
import { nodeResponse, requestHeader } from './incoming.js';

const HEADER = 'X-Request-Id';
const VALID = /^[\w\-=]{1,255}$/;

// Every response carries X-Request-Id: the client's own when it sent a valid one, else a new unique id
// (src/util/unique-id.ts; `c.get('requestId')` holds it, as with Hono's requestId middleware). Under
// @hono/node-server the header goes straight onto the Node response, merged into whatever the handler
// answers, so no fetch Headers object is built for it.
export const requestId: MiddlewareHandler = async (c, next) => {
  const sent = requestHeader(c, 'x-request-id');
  const id = sent !== undefined && VALID.test(sent) ? sent : uniqueId();
  c.set('requestId', id);
  const outgoing = nodeResponse(c);
  if (outgoing && typeof outgoing.setHeader === 'function') outgoing.setHeader(HEADER, id);
  else c.header(HEADER, id);
  await next();
};
