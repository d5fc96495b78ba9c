import type { Context } from 'hono';

/** What a handler learns about a request that its end-of-request log line reports. */
export interface RequestFacts {
  model?: string;
  worker?: string;
  /** The answer is a stream: the request ends at its last byte, not when the handler returns. */
  streamed?: boolean;
}

type WithFacts = Context<{ Variables: { requestFacts?: RequestFacts } }>;

// Handlers note the model and the worker as they learn them; the request log reads them at the end.
// They live in the request's own context variables (no table keyed by request).
export function noteRequest(c: Context, learned: RequestFacts): void {
  const known = (c as WithFacts).get('requestFacts');
  if (known) Object.assign(known, learned);
  else (c as WithFacts).set('requestFacts', { ...learned });
}

export const requestFacts = (c: Context): RequestFacts => (c as WithFacts).get('requestFacts') ?? {};
