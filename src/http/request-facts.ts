import type { Context } from 'hono';
import type { ContextReport } from '../drivers/driver.js';

/** What a handler learns about a request that its end-of-request log line reports. */
export interface RequestFacts {
  model?: string;
  worker?: string;
  /** Whose request it is: the name of the client's API key (absent: the anonymous tenant). */
  tenant?: string;
  /** The answer is a stream: the request ends at its last byte, not when the handler returns. */
  streamed?: boolean;
  /** The worker's context report that came with the answer. */
  context?: ContextReport | null;
  /** The error the client was answered with: its code and the field it names (the log line of a 4xx says both). */
  error?: { code: string; param?: string };
}

type WithFacts = Context<{ Variables: { requestFacts?: RequestFacts } }>;

// The request's facts: one object in its context variables, filled in by the handler as it learns
// them (model, worker, whether it streams) and read by the request log at the end.
export function requestFacts(c: Context): RequestFacts {
  let facts = (c as WithFacts).get('requestFacts');
  if (!facts) (c as WithFacts).set('requestFacts', (facts = {}));
  return facts;
}
