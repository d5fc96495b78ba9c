import type { Context } from 'hono';
import type { AnswerEvent, ChatRequestBody } from '../drivers/driver.js';
import { ClientTooSlowError, InvalidRequestError, LifeguardError, RequestTimeoutError, ShuttingDownError, WorkerCrashedError } from '../errors.js';
import { withStructuredOutput, type StructuredOutputOptions } from '../structured/structured-dispatch.js';
import { Cancellation, type CancelSignal } from '../util/cancellation.js';
import type { Logger } from '../util/logger.js';
import type { Dispatch, DispatchOptions } from '../supervisor/supervisor.js';
import { streamBoundedSSE } from './bounded-sse.js';
import { createAnswerCollector, type CollectedAnswer } from './collect-answer.js';
import { assertJsonDepth } from './json-depth.js';
import { onClientGone } from './client-gone.js';
import { requestFacts } from './request-facts.js';
import { readBodyText } from './read-body.js';

export interface AnswerDeps {
  dispatch(body: ChatRequestBody, signal: CancelSignal, avoid?: { workerId: string; run: number }, options?: DispatchOptions): Promise<Dispatch>;
  defaultModel(): string;
  requestTimeoutMs: number;
  /** Longest silence between two answer events once a worker holds the request. */
  idleTimeoutMs: number;
  /** Most bytes of a stream that may wait for a slow client (stream_buffer_bytes). */
  streamBufferBytes: number;
  /** Tells the gateway about a request in progress (shutdown cancels it with a reason); the returned function says it ended. */
  track?(cancellation: Cancellation): () => void;
  isShuttingDown(): boolean;
  logger: Logger;
  /** Validate answers against `response_format` (src/structured/); absent → the worker's answer as it is. */
  structuredOutput?: Omit<StructuredOutputOptions, 'logger'> | null;
}

/** One server-sent event as an API writes it. */
export interface SseMessage {
  event?: string;
  data: string;
}

/** How one API (chat completions, Responses, Messages) renders the one internal answer. */
export interface AnswerRenderer {
  /** The whole answer, for a request that does not stream. */
  complete(answer: CollectedAnswer): unknown;
  /** A renderer for one stream: what opens it, what each event becomes, how a failure ends it. */
  stream(): StreamRenderer;
}

export interface StreamRenderer {
  open(): SseMessage[];
  event(event: AnswerEvent): SseMessage[];
  fail(error: unknown): SseMessage[];
}

/** A request every API's parser reduces to: the chat body the worker gets, and how to render its answer. */
export interface AnswerRequest {
  body: ChatRequestBody;
  stream: boolean;
  renderer: AnswerRenderer;
}

interface OpenedAnswer {
  dispatch: Dispatch;
  iterator: AsyncIterator<AnswerEvent>;
  first: IteratorResult<AnswerEvent>;
}

/** A timer may fire a little before its time as performance.now() sees it. */
const TIMER_SLACK_MS = 1;

const isRedispatchable = (error: unknown) => error instanceof WorkerCrashedError && !error.answerStarted;

// A timeout (or a shutdown, or a slow client) aborts the worker's request; the error the client
// sees says why.
function failureOf(error: unknown, signal: CancelSignal): unknown {
  return signal.aborted && signal.reason instanceof LifeguardError ? signal.reason : error;
}

// Dispatches and waits for the first event. A worker that dies before answering anything gets the
// request re-dispatched once, to whichever worker is healthy next.
async function openAnswer(deps: AnswerDeps, body: ChatRequestBody, signal: CancelSignal): Promise<OpenedAnswer> {
  let avoid: { workerId: string; run: number } | undefined;
  for (let attempt = 0; ; attempt++) {
    const dispatch = await deps.dispatch(body, signal, avoid);
    const iterator = dispatch.events[Symbol.asyncIterator]();
    try {
      return { dispatch, iterator, first: await iterator.next() };
    } catch (error) {
      await iterator.return?.();
      if (attempt === 0 && isRedispatchable(error) && !signal.aborted) {
        deps.logger.log('WARN', `re-dispatching a request: ${(error as Error).message}`, { worker: dispatch.workerId });
        avoid = { workerId: dispatch.workerId, run: dispatch.run };
        continue;
      }
      throw error;
    }
  }
}

// A whole answer, for a request that does not stream. Nothing of it reaches the client before it is
// complete, so a worker that dies at any point before `done` gets the request re-dispatched once.
async function completeOnce(deps: AnswerDeps, body: ChatRequestBody, signal: CancelSignal): Promise<CollectedAnswer> {
  let avoid: { workerId: string; run: number } | undefined;
  for (let attempt = 0; ; attempt++) {
    const dispatch = await deps.dispatch(body, signal, avoid);
    const iterator = dispatch.events[Symbol.asyncIterator]();
    const collector = createAnswerCollector();
    try {
      for (let result = await iterator.next(); !result.done; result = await iterator.next()) {
        collector.add(result.value);
        const answer = collector.result();
        if (answer) return answer;
      }
      throw new WorkerCrashedError(dispatch.workerId, collector.hasContent(), 'ended the answer without "done"');
    } catch (error) {
      if (attempt === 0 && error instanceof WorkerCrashedError && !signal.aborted) {
        deps.logger.log('WARN', `re-dispatching a request: ${error.message}`, { worker: dispatch.workerId });
        avoid = { workerId: dispatch.workerId, run: dispatch.run };
        continue;
      }
      throw error;
    } finally {
      await iterator.return?.();
    }
  }
}

/** The request body as JSON; a body that is not JSON is a 400 naming `body`. */
export async function readJsonBody(c: Context, limitBytes: number): Promise<unknown> {
  const text = await readBodyText(c, limitBytes);
  assertJsonDepth(text);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidRequestError('body', `Request body is not valid JSON: ${(error as Error).message}`);
  }
}

// The one way every API answers (SPEC §4, STYLE 16): the same gating, queueing, re-dispatch, timeouts
// and errors; only the parser before it and the renderer after it differ. Errors before the first
// byte are thrown (app.onError shapes them for the API); errors mid-stream end the stream the API's way.
export async function serveAnswer(c: Context, deps: AnswerDeps, request: AnswerRequest): Promise<Response> {
  if (deps.isShuttingDown()) throw new ShuttingDownError();
  const { body, renderer } = request;
  const facts = requestFacts(c);
  facts.model = body.model ?? deps.defaultModel();
  const cancellation = new Cancellation();
  const untrack = deps.track?.(cancellation);
  const stopWatching = onClientGone(c, () => cancellation.abort(new Error('client disconnected')));
  // Two limits, one timer. The request may take requestTimeoutMs end to end (Hono's timeout
  // middleware does not bound a stream). Once a worker holds it, silence from the worker for
  // idleTimeoutMs ends it even when the worker still sends heartbeats: such a worker is wedged and is
  // restarted. An answer event only notes its time; the timer, when it fires, looks at both.
  const startedAt = performance.now();
  let holder: Dispatch | null = null;
  let lastEventAt = 0;
  const onEvent = () => {
    lastEventAt = performance.now();
  };
  const watch = () => {
    const now = performance.now() + TIMER_SLACK_MS;
    if (now - startedAt >= deps.requestTimeoutMs) {
      cancellation.abort(new RequestTimeoutError(`The request took longer than ${deps.requestTimeoutMs} ms`));
    } else if (holder && now - lastEventAt >= deps.idleTimeoutMs) {
      cancellation.abort(new RequestTimeoutError(`The worker sent nothing for ${deps.idleTimeoutMs} ms`));
      holder.stalled();
    } else {
      const due = Math.min(startedAt + deps.requestTimeoutMs, holder ? lastEventAt + deps.idleTimeoutMs : Number.POSITIVE_INFINITY);
      timer = setTimeout(watch, due - now);
    }
  };
  let timer = setTimeout(watch, Math.min(deps.requestTimeoutMs, deps.idleTimeoutMs));
  // X-Session-Id names the conversation (SPEC §6), whichever API the request came through;
  // prompt_cache_key in the body does too.
  const options: DispatchOptions = { sessionKey: c.req.header('x-session-id') ?? null, onEvent };
  const watched: AnswerDeps = {
    ...deps,
    dispatch: async (requestBody, signal, avoid) => {
      const dispatch = await deps.dispatch(requestBody, signal, avoid, options);
      facts.worker = dispatch.workerId;
      holder = dispatch;
      onEvent();
      return dispatch;
    },
  };
  // Outside the idle watch, so each turn of a structured answer is watched on its own.
  const served: AnswerDeps = deps.structuredOutput
    ? { ...watched, dispatch: withStructuredOutput(watched.dispatch, { ...deps.structuredOutput, logger: deps.logger }) }
    : watched;
  const finish = () => {
    clearTimeout(timer);
    stopWatching();
    untrack?.();
  };

  if (!request.stream) {
    try {
      return c.json(renderer.complete(await completeOnce(served, body, cancellation)) as object);
    } catch (error) {
      throw failureOf(error, cancellation);
    } finally {
      finish();
    }
  }

  let opened: OpenedAnswer;
  try {
    opened = await openAnswer(served, body, cancellation);
  } catch (error) {
    finish();
    throw failureOf(error, cancellation);
  }

  facts.streamed = true;
  return streamBoundedSSE(c, { limitBytes: deps.streamBufferBytes, flushTimeoutMs: deps.requestTimeoutMs }, async (stream) => {
    stream.onAbort(() => cancellation.abort(new Error('client disconnected')));
    const view = renderer.stream();
    const write = async (messages: SseMessage[]) => {
      for (const message of messages) await stream.writeSSE(message);
    };
    try {
      await write(view.open());
      for (let result = opened.first; !result.done; result = await opened.iterator.next()) {
        await write(view.event(result.value));
        if (result.value.type === 'done') return;
      }
      throw new WorkerCrashedError(opened.dispatch.workerId, true, 'ended the answer without "done"');
    } catch (error) {
      if (stream.aborted || stream.closed) return;
      // Too far behind: the worker stops answering it (cancel) and the client is told why.
      if (error instanceof ClientTooSlowError) cancellation.abort(error);
      const failure = failureOf(error, cancellation);
      deps.logger.log('ERROR', `stream ended with an error: ${(failure as Error).message}`, { worker: opened.dispatch.workerId });
      // The headers are gone: the error travels as the stream's last event, in the API's shape.
      for (const message of view.fail(failure)) await stream.writeLast(message);
    } finally {
      finish();
      await opened.iterator.return?.();
    }
  });
}
