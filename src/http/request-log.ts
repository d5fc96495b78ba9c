import type { Context, MiddlewareHandler } from 'hono';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { Logger } from '../util/logger.js';
import { onClientGone } from './client-gone.js';
import { requestFacts } from './request-facts.js';

/** nginx's status for a client that closed the connection before the answer was complete. */
export const CLIENT_GONE_STATUS = 499;

export interface RequestLogDeps {
  logger: Logger;
  /** For the worker's context figures on the [DONE] line. */
  supervisor?: Pick<Supervisor, 'snapshotOf'>;
  /** Called once per request at its end (the last byte of a stream, or the client gone). */
  observe?: (status: number, seconds: number) => void;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

// One line per request at its end (a stream's last byte): `[DONE] 2.3s | ctx=…/… turns=…/…` with the
// request id, status, model, worker and duration. A client that went away is `info` (status 499),
// a server-side failure (5xx) an `[ERROR]`.
export function requestLog(deps: RequestLogDeps): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    let logged = false;
    const end = (status: number) => {
      if (logged) return;
      logged = true;
      stopWatching();
      const durationMs = performance.now() - started;
      deps.observe?.(status, durationMs / 1000);
      logRequestEnd(c, deps, status, durationMs);
    };
    const stopWatching = onClientGone(c, () => end(CLIENT_GONE_STATUS));
    try {
      await next();
    } catch (error) {
      stopWatching();
      throw error;
    }
    // Only a stream's response is opened up (reading a body or headers builds a whole fetch Response).
    const body = requestFacts(c).streamed ? c.res.body : null;
    if (!body) return end(c.res.status);
    c.res = new Response(body.pipeThrough(new TransformStream({ flush: () => end(c.res.status) })), c.res);
  };
}

function logRequestEnd(c: Context, deps: RequestLogDeps, status: number, durationMs: number): void {
  const { model, worker, tenant, context: reported, error } = requestFacts(c);
  const fields = { request_id: c.get('requestId') as string | undefined, status, model, worker, ...(tenant ? { tenant } : {}), duration_ms: Math.round(durationMs), ...(error ? { error: error.code, param: error.param } : {}) };
  if (status === CLIENT_GONE_STATUS) {
    deps.logger.log('DONE', `${seconds(durationMs)} | client went away`, fields);
    return;
  }
  if (status >= 500) {
    deps.logger.log('ERROR', `request failed with ${status} after ${seconds(durationMs)}`, fields);
    return;
  }
  // The figures the worker reported with this answer, against the limits its machine holds.
  const context = worker === undefined ? undefined : deps.supervisor?.snapshotOf(worker)?.context;
  const usage = reported ?? context?.usage;
  const ctx = context && usage ? ` | ctx=${usage.tokens}/${context.limits.tokenLimit} turns=${usage.turns}/${context.limits.turnLimit}` : '';
  deps.logger.log('DONE', `${seconds(durationMs)}${ctx}`, fields);
}
