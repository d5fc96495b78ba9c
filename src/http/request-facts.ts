import type { Context } from 'hono';

/** What a handler learns about a request that its end-of-request log line reports. */
export interface RequestFacts {
  model?: string;
  worker?: string;
}

const facts = new WeakMap<Context, RequestFacts>();

// Handlers note the model and the worker as they learn them; the request log reads them at the end.
export function noteRequest(c: Context, learned: RequestFacts): void {
  facts.set(c, { ...facts.get(c), ...learned });
}

export const requestFacts = (c: Context): RequestFacts => facts.get(c) ?? {};
