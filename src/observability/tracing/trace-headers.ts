import { context, propagation } from '@opentelemetry/api';

// The W3C trace context (`traceparent`, `tracestate`) of the request being served, for a call it makes
// upstream. Without the SDK (tracing off) the API's propagator is a no-op and this is empty.
export function traceHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(context.active(), headers);
  return headers;
}
