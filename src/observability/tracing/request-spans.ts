import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import type { Context, MiddlewareHandler } from 'hono';
import type { AnswerEvent } from '../../drivers/driver.js';
import { RequestTimeoutError } from '../../errors.js';
import { onClientGone } from '../../http/client-gone.js';
import { requestFacts } from '../../http/request-facts.js';
import type { Dispatch, DispatchFn, Supervisor } from '../../supervisor/supervisor.js';

/** Request spans: the middleware opens one per request, the dispatch wrapper adds its steps. */
export interface RequestTracing {
  /** A span per request named `spanName` (chat.completions, responses, messages). */
  middleware(spanName: string): MiddlewareHandler;
  /** The same dispatch; queueing, dispatch, first byte, re-dispatch and usage go on the request's span. */
  dispatch(dispatch: DispatchFn): DispatchFn;
}

interface RequestState {
  dispatches: number;
  /** Why the answer failed, if it did; a re-dispatch forgives the failure before it. */
  failure: unknown;
}

const states = new WeakMap<Span, RequestState>();

const errorType = (error: unknown) => (error as { kind?: string }).kind ?? (error as Error).name ?? 'error';

// The W3C trace context the client sent, if any.
function clientContext(c: Context) {
  const carrier: Record<string, string> = {};
  for (const name of ['traceparent', 'tracestate']) {
    const value = c.req.header(name);
    if (value) carrier[name] = value;
  }
  return propagation.extract(ROOT_CONTEXT, carrier);
}

// The answer's events as they pass: the first one is the worker's first byte, `done` carries usage.
function observed(events: AsyncIterable<AnswerEvent>, span: Span, state: RequestState): AsyncIterable<AnswerEvent> {
  return {
    [Symbol.asyncIterator]: () => {
      const inner = events[Symbol.asyncIterator]();
      let first = true;
      return {
        next: async () => {
          try {
            const result = await inner.next();
            if (result.done) return result;
            if (first) span.addEvent('first_byte');
            first = false;
            const event = result.value;
            if (event.type === 'done') {
              span.setAttributes({
                'gen_ai.usage.input_tokens': event.usage.promptTokens,
                'gen_ai.usage.output_tokens': event.usage.completionTokens,
                'gen_ai.response.finish_reasons': [event.finishReason],
              });
            }
            return result;
          } catch (error) {
            state.failure = error;
            span.recordException(error as Error);
            throw error;
          }
        },
        return: async () => (await inner.return?.()) ?? { done: true, value: undefined },
      };
    },
  };
}

// `supervisor`: its queue depth tells a queued request from one dispatched at once; its `routed` event,
// published inside the request's dispatch (so in its context), says how the conversation was routed.
export function createRequestTracing(tracer: Tracer, supervisor: Pick<Supervisor, 'stats' | 'subscribe'>): RequestTracing {
  const queueDepth = () => supervisor.stats().queueDepth;
  supervisor.subscribe((event) => {
    if (event.type !== 'routed') return;
    const span = trace.getActiveSpan();
    if (span && states.has(span)) span.setAttributes({ 'lifeguard.conversation.route': event.result, 'lifeguard.queue.wait_ms': event.waitedMs });
  });
  return {
    middleware: (spanName) => async (c, next) => {
      const parent = clientContext(c);
      const span = tracer.startSpan(
        spanName,
        {
          kind: SpanKind.SERVER,
          attributes: {
            'gen_ai.operation.name': 'chat',
            'http.request.method': c.req.method,
            'url.path': c.req.path,
            'lifeguard.request_id': c.get('requestId') as string | undefined,
          },
        },
        parent,
      );
      const state: RequestState = { dispatches: 0, failure: null };
      states.set(span, state);
      let ended = false;
      let stopWatching = () => {};
      const end = () => {
        if (ended) return;
        ended = true;
        stopWatching();
        const status = c.res.status;
        span.setAttribute('http.response.status_code', status);
        const failure = c.error ?? state.failure;
        if (failure) {
          if (c.error) span.recordException(c.error);
          span.setAttribute('error.type', errorType(failure));
          span.setStatus({ code: SpanStatusCode.ERROR, message: (failure as Error).message });
        } else if (status >= 500) {
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        span.end();
      };
      await context.with(trace.setSpan(parent, span), next);
      const body = requestFacts(c).streamed ? c.res.body : null;
      if (!body) return end();
      // A stream's span runs to its last byte, or to the moment its client went away.
      stopWatching = onClientGone(c, end);
      c.res = new Response(body.pipeThrough(new TransformStream({ flush: end })), c.res);
    },

    dispatch: (inner) => async (body, signal, avoid, options) => {
      const span = trace.getActiveSpan();
      const state = span && states.get(span);
      if (!span || !state) return inner(body, signal, avoid, options);
      state.dispatches += 1;
      if (state.dispatches === 1) {
        span.setAttribute('lifeguard.request.stream', body.stream === true);
        if (body.model) span.setAttribute('gen_ai.request.model', body.model);
        const onAbort = () => {
          const timedOut = signal.reason instanceof RequestTimeoutError;
          span.addEvent(timedOut ? 'timeout' : 'client.gone', { 'lifeguard.reason': (signal.reason as Error | undefined)?.message ?? 'aborted' });
          if (timedOut) state.failure = signal.reason;
        };
        signal.onAbort(onAbort);
      } else {
        state.failure = null;
        span.addEvent('re-dispatched', avoid ? { 'worker.name': avoid.workerId, 'worker.run': avoid.run } : {});
      }
      const before = queueDepth();
      const pending = inner(body, signal, avoid, options);
      // The router queues synchronously, so a deeper queue right after the call is this request.
      if (queueDepth() > before) span.addEvent('queued', { 'lifeguard.queue.depth': queueDepth() });
      let dispatch: Dispatch;
      try {
        dispatch = await pending;
      } catch (error) {
        state.failure = error;
        throw error;
      }
      span.setAttributes({ 'worker.name': dispatch.workerId, 'worker.run': dispatch.run });
      span.addEvent('dispatched', { 'worker.name': dispatch.workerId, 'worker.run': dispatch.run });
      return { ...dispatch, events: observed(dispatch.events, span, state) };
    },
  };
}
