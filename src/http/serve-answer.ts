import type { Context } from 'hono';
import type { AnswerEvent, ChatRequestBody } from '../drivers/driver.js';
import { AnswerTooLargeError, ClientTooSlowError, InvalidRequestError, ShuttingDownError, WorkerCrashedError } from '../errors.js';
import { withStructuredOutput, type StructuredOutputOptions } from '../structured/structured-dispatch.js';
import type { Cancellation, CancelSignal } from '../util/cancellation.js';
import type { Logger } from '../util/logger.js';
import type { Dispatch, DispatchFn } from '../supervisor/supervisor.js';
import { AnswerSize } from './answer-size.js';
import { streamBoundedSSE } from './bounded-sse.js';
import { ClientDisconnectedError } from './client-gone.js';
import type { StreamBudget } from './stream-budget.js';
import { createAnswerCollector, type CollectedAnswer } from './collect-answer.js';
import { assertJsonDepth } from './json-depth.js';
import { AnswerRun } from './answer-run.js';
import { readBodyText } from './read-body.js';
import { withAnswerLimits, type LimitEnforcement } from './compat/answer-limits.js';
import { serveChoices, type ChoicesRenderer } from './compat/serve-choices.js';

export interface AnswerDeps {
  dispatch: DispatchFn;
  defaultModel(): string;
  requestTimeoutMs: number;
  /** Longest silence between two answer events once a worker holds the request. */
  idleTimeoutMs: number;
  /** Most bytes of a stream that may wait for a slow client (stream_buffer_bytes). */
  streamBufferBytes: number;
  /** The bytes waiting for all stream clients together (stream_budget_bytes); absent → no global bound. */
  streamBudget?: StreamBudget;
  /** Largest answer held whole: a request that does not stream, or a renderer that keeps the answer (max_answer_bytes). */
  maxAnswerBytes: number;
  /** Tells the gateway about a request in progress (shutdown cancels it with a reason); the returned function says it ended. */
  track?(cancellation: Cancellation): () => void;
  isShuttingDown(): boolean;
  logger: Logger;
  /** Validate answers against `response_format` (src/structured/); absent → the worker's answer as it is. */
  structuredOutput?: Omit<StructuredOutputOptions, 'logger'> | null;
  /** stop and max_tokens lifeguard applies itself (compat/answer-limits.ts); absent → the worker's. */
  limits?: LimitEnforcement;
  /** Several models: the limits of the model the request names (its own driver's), over `limits`. */
  limitsFor?(model: string): LimitEnforcement;
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
  /** Several choices in one answer (`n`, a legacy prompt array); absent → the API has one choice. */
  choices?: ChoicesRenderer;
}

export interface StreamRenderer {
  /** The renderer keeps the answer's text to repeat it at the end (Responses): max_answer_bytes bounds it. */
  readonly keepsAnswer?: boolean;
  open(): SseMessage[];
  event(event: AnswerEvent): SseMessage[];
  fail(error: unknown): SseMessage[];
}

/** A request every API's parser reduces to: the chat body the worker gets, and how to render its answer. */
export interface AnswerRequest {
  body: ChatRequestBody;
  stream: boolean;
  renderer: AnswerRenderer;
  /** More than one body: each its own dispatch, rendered as indexed choices (renderer.choices). */
  choices?: ChatRequestBody[];
}

export interface OpenedAnswer {
  dispatch: Dispatch;
  iterator: AsyncIterator<AnswerEvent>;
  first: IteratorResult<AnswerEvent>;
}

const isRedispatchable = (error: unknown) => error instanceof WorkerCrashedError && !error.answerStarted;

// Dispatches and waits for the first event. A worker that dies before answering anything gets the
// request re-dispatched once, to whichever worker is healthy next.
export async function openAnswer(dispatchFn: DispatchFn, logger: Logger, body: ChatRequestBody, signal: CancelSignal): Promise<OpenedAnswer> {
  let avoid: { workerId: string; run: number } | undefined;
  for (let attempt = 0; ; attempt++) {
    const dispatch = await dispatchFn(body, signal, avoid);
    const iterator = dispatch.events[Symbol.asyncIterator]();
    try {
      return { dispatch, iterator, first: await iterator.next() };
    } catch (error) {
      await iterator.return?.();
      if (attempt === 0 && isRedispatchable(error) && !signal.aborted) {
        logger.log('WARN', `re-dispatching a request: ${(error as Error).message}`, { worker: dispatch.workerId });
        avoid = { workerId: dispatch.workerId, run: dispatch.run };
        continue;
      }
      throw error;
    }
  }
}

// A whole answer, for a request that does not stream. Nothing of it reaches the client before it is
// complete, so a worker that dies at any point before `done` gets the request re-dispatched once.
export async function completeOnce(dispatchFn: DispatchFn, logger: Logger, body: ChatRequestBody, signal: CancelSignal, maxAnswerBytes: number): Promise<CollectedAnswer> {
  let avoid: { workerId: string; run: number } | undefined;
  for (let attempt = 0; ; attempt++) {
    const dispatch = await dispatchFn(body, signal, avoid);
    const iterator = dispatch.events[Symbol.asyncIterator]();
    const collector = createAnswerCollector();
    const size = new AnswerSize(maxAnswerBytes);
    try {
      for (let result = await iterator.next(); !result.done; result = await iterator.next()) {
        size.add(result.value);
        collector.add(result.value);
        if (result.value.type === 'done') return collector.result()!;
      }
      throw new WorkerCrashedError(dispatch.workerId, collector.hasContent(), 'ended the answer without "done"');
    } catch (error) {
      if (attempt === 0 && error instanceof WorkerCrashedError && !signal.aborted) {
        logger.log('WARN', `re-dispatching a request: ${error.message}`, { worker: dispatch.workerId });
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
export function readJsonBody(c: Context, limitBytes: number): Promise<unknown> {
  return readBodyText(c, limitBytes).then(parseJsonBody);
}

function parseJsonBody(text: string): unknown {
  assertJsonDepth(text);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidRequestError('body', `Request body is not valid JSON: ${(error as Error).message}`);
  }
}

// The one way every API answers (docs/http-api.md, STYLE 16): the same gating, queueing, re-dispatch, timeouts
// and errors; only the parser before it and the renderer after it differ. Errors before the first
// byte are thrown (app.onError shapes them for the API); errors mid-stream end the stream the API's way.
export async function serveAnswer(c: Context, deps: AnswerDeps, request: AnswerRequest): Promise<Response> {
  if (deps.isShuttingDown()) throw new ShuttingDownError();
  const { body, renderer } = request;
  const run = new AnswerRun(c, deps, deps.dispatch);
  run.facts.model = body.model ?? deps.defaultModel();
  const { cancellation } = run;
  // Outside the idle watch, so each turn of a structured answer is watched on its own.
  const structured = deps.structuredOutput ? withStructuredOutput(run.dispatch, { ...deps.structuredOutput, logger: deps.logger }) : run.dispatch;
  const dispatch = withAnswerLimits(structured, deps.limitsFor?.(body.model ?? deps.defaultModel()) ?? deps.limits);
  if (request.choices && request.choices.length > 1 && renderer.choices) return serveChoices(c, deps, run, dispatch, { ...request, choices: request.choices, renderer: renderer.choices });

  if (!request.stream) {
    try {
      const answer = await completeOnce(dispatch, deps.logger, body, cancellation, deps.maxAnswerBytes);
      run.facts.context = answer.context;
      return c.json(renderer.complete(answer) as object);
    } catch (error) {
      // The worker stops saying what nobody will take (cancel), and the client is told why.
      if (error instanceof AnswerTooLargeError) cancellation.abort(error);
      throw run.failure(error);
    } finally {
      run.finish();
    }
  }

  let opened: OpenedAnswer;
  try {
    opened = await openAnswer(dispatch, deps.logger, body, cancellation);
  } catch (error) {
    run.finish();
    throw run.failure(error);
  }

  run.facts.streamed = true;
  const view = renderer.stream();
  const size = view.keepsAnswer ? new AnswerSize(deps.maxAnswerBytes) : null;
  const options = {
    limitBytes: deps.streamBufferBytes,
    flushTimeoutMs: deps.requestTimeoutMs,
    ...(deps.streamBudget ? { budget: deps.streamBudget } : {}),
    farewell: (error: ClientTooSlowError) => view.fail(error),
  };
  return streamBoundedSSE(c, options, async (stream) => {
    stream.onAbort(() => cancellation.abort(new ClientDisconnectedError()));
    // Evicted by the global budget: the worker stops answering it, and the loop below ends the stream.
    stream.onEvicted((error) => cancellation.abort(error));
    const write = async (messages: SseMessage[]) => {
      for (const message of messages) await stream.writeSSE(message);
    };
    try {
      await write(view.open());
      for (let result = opened.first; !result.done; result = await opened.iterator.next()) {
        size?.add(result.value);
        await write(view.event(result.value));
        if (result.value.type === 'done') {
          run.facts.context = result.value.context;
          return;
        }
      }
      throw new WorkerCrashedError(opened.dispatch.workerId, true, 'ended the answer without "done"');
    } catch (error) {
      const worker = { worker: opened.dispatch.workerId };
      // A client that went away is no fault of lifeguard's or the worker's: info, not an error.
      if (stream.aborted || stream.closed || cancellation.reason instanceof ClientDisconnectedError) {
        deps.logger.log('INFO', 'stream client went away mid-answer; the worker was told to stop', worker);
        return;
      }
      // Too far behind, or an answer too large to keep: the worker stops answering it (cancel) and the client is told why.
      if (error instanceof ClientTooSlowError || error instanceof AnswerTooLargeError) cancellation.abort(error);
      const failure = run.failure(error);
      const level = failure instanceof ClientTooSlowError || failure instanceof AnswerTooLargeError ? 'WARN' : 'ERROR';
      deps.logger.log(level, `stream ended with an error: ${(failure as Error).message}`, worker);
      // The headers are gone: the error travels as the stream's last event, in the API's shape.
      for (const message of view.fail(failure)) await stream.writeLast(message);
    } finally {
      run.finish();
      await opened.iterator.return?.();
    }
  });
}
