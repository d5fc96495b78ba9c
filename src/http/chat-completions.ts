import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import type { AnswerEvent, ChatRequestBody, Usage } from '../drivers/driver.js';
import { ClientTooSlowError, InvalidRequestError, LifeguardError, RequestTimeoutError, ShuttingDownError, WorkerCrashedError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { withStructuredOutput, type StructuredOutputOptions } from '../structured/structured-dispatch.js';
import type { Dispatch } from '../supervisor/supervisor.js';
import { streamBoundedSSE } from './bounded-sse.js';
import { parseChatRequest } from './chat-request.js';
import { assertJsonDepth } from './json-depth.js';
import { onClientGone } from './client-gone.js';
import { toOpenAIError } from './openai-errors.js';

export interface ChatDeps {
  dispatch(body: ChatRequestBody, signal: AbortSignal, avoid?: { workerId: string; run: number }): Promise<Dispatch>;
  defaultModel(): string;
  requestTimeoutMs: number;
  /** Longest silence between two answer events once a worker holds the request. */
  idleTimeoutMs: number;
  /** Most bytes of a stream that may wait for a slow client (stream_buffer_bytes). */
  streamBufferBytes: number;
  /** Tells the gateway about a request in progress; the returned function says it ended. */
  track?(controller: AbortController): () => void;
  isShuttingDown(): boolean;
  logger: Logger;
  /** Validate answers against `response_format` (src/structured/); absent → the worker's answer as it is. */
  structuredOutput?: Omit<StructuredOutputOptions, 'logger'> | null;
}

interface OpenedAnswer {
  dispatch: Dispatch;
  iterator: AsyncIterator<AnswerEvent>;
  first: IteratorResult<AnswerEvent>;
}

const usageBody = (usage: Usage) => ({
  prompt_tokens: usage.promptTokens,
  completion_tokens: usage.completionTokens,
  total_tokens: usage.promptTokens + usage.completionTokens,
});

const isRedispatchable = (error: unknown) => error instanceof WorkerCrashedError && !error.answerStarted;

// A timeout (or a shutdown, or a slow client) aborts the worker's request; the error the client
// sees says why.
const failureOf = (error: unknown, signal: AbortSignal) => (signal.aborted && signal.reason instanceof LifeguardError ? signal.reason : error);

function rethrow(error: unknown, signal: AbortSignal): never {
  throw failureOf(error, signal);
}

// Dispatches and waits for the first event. A worker that dies before answering anything gets the
// request re-dispatched once, to whichever worker is healthy next.
async function openAnswer(deps: ChatDeps, body: ChatRequestBody, signal: AbortSignal): Promise<OpenedAnswer> {
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

// The body as text. Under @hono/node-server with a Content-Length (already checked against the limit)
// it is read from the Node request itself, skipping the construction of a fetch Request.
async function bodyText(c: Context): Promise<string> {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!incoming || incoming.readableEnded || !c.req.header('content-length')) return c.req.text();
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function readBody(c: Context): Promise<ChatRequestBody> {
  const text = await bodyText(c);
  assertJsonDepth(text);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new InvalidRequestError('body', `Request body is not valid JSON: ${(error as Error).message}`);
  }
  return parseChatRequest(raw);
}

// A whole answer, for stream: false. Nothing of it reaches the client before it is complete, so a
// worker that dies at any point before `done` gets the request re-dispatched once.
async function completeOnce(deps: ChatDeps, body: ChatRequestBody, signal: AbortSignal, meta: { id: string; created: number; model: string }) {
  let avoid: { workerId: string; run: number } | undefined;
  for (let attempt = 0; ; attempt++) {
    const dispatch = await deps.dispatch(body, signal, avoid);
    const iterator = dispatch.events[Symbol.asyncIterator]();
    try {
      let content = '';
      for (let result = await iterator.next(); !result.done; result = await iterator.next()) {
        const event = result.value;
        if (event.type === 'delta') {
          content += event.content;
          continue;
        }
        return {
          id: meta.id,
          object: 'chat.completion',
          created: meta.created,
          model: meta.model,
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: event.finishReason, logprobs: null }],
          usage: usageBody(event.usage),
        };
      }
      throw new WorkerCrashedError(dispatch.workerId, content.length > 0, 'ended the answer without "done"');
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

// The same events, calling `touch` on each; return() reaches the inner iterator even before the first
// event (so the dispatch's lease is always given back).
function touching<T>(events: AsyncIterable<T>, touch: () => void): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]: () => {
      const inner = events[Symbol.asyncIterator]();
      return {
        next: async () => {
          const result = await inner.next();
          if (!result.done) touch();
          return result;
        },
        return: async () => (await inner.return?.()) ?? { done: true, value: undefined },
      };
    },
  };
}

export async function handleChatCompletion(c: Context, deps: ChatDeps): Promise<Response> {
  if (deps.isShuttingDown()) throw new ShuttingDownError();
  const body = await readBody(c);
  const controller = new AbortController();
  const untrack = deps.track?.(controller);
  const stopWatching = onClientGone(c, () => controller.abort(new Error('client disconnected')));
  const timer = setTimeout(
    () => controller.abort(new RequestTimeoutError(`The request took longer than ${deps.requestTimeoutMs} ms`)),
    deps.requestTimeoutMs,
  );
  // Inside the answer (Hono's timeout middleware does not bound a stream): silence from the worker
  // for idle_timeout_ms ends the request even when the worker itself still sends heartbeats.
  // A worker that stays silent on a request is wedged (its heartbeats notwithstanding): it is
  // restarted, and the request ends with a timeout.
  let idleTimer: NodeJS.Timeout | undefined;
  const watched: ChatDeps = {
    ...deps,
    dispatch: async (requestBody, signal, avoid) => {
      const dispatch = await deps.dispatch(requestBody, signal, avoid);
      const touch = () => {
        clearTimeout(idleTimer);
        idleTimer = setTimeout(() => {
          controller.abort(new RequestTimeoutError(`The worker sent nothing for ${deps.idleTimeoutMs} ms`));
          dispatch.stalled();
        }, deps.idleTimeoutMs);
      };
      touch();
      return { ...dispatch, events: touching(dispatch.events, touch) };
    },
  };
  // Outside the idle watch, so each turn of a structured answer is watched on its own.
  const served: ChatDeps = deps.structuredOutput
    ? { ...watched, dispatch: withStructuredOutput(watched.dispatch, { ...deps.structuredOutput, logger: deps.logger }) }
    : watched;
  const finish = () => {
    clearTimeout(timer);
    clearTimeout(idleTimer);
    stopWatching();
    untrack?.();
  };
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const model = body.model ?? deps.defaultModel();

  if (!body.stream) {
    try {
      return c.json(await completeOnce(served, body, controller.signal, { id, created, model }));
    } catch (error) {
      rethrow(error, controller.signal);
    } finally {
      finish();
    }
  }

  let opened: OpenedAnswer;
  try {
    opened = await openAnswer(served, body, controller.signal);
  } catch (error) {
    finish();
    rethrow(error, controller.signal);
  }
  const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  const chunk = (delta: Record<string, unknown>, finishReason: string | null) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
  });

  return streamBoundedSSE(c, { limitBytes: deps.streamBufferBytes, flushTimeoutMs: deps.requestTimeoutMs }, async (stream) => {
    stream.onAbort(() => controller.abort(new Error('client disconnected')));
    let sentRole = false;
    try {
      let result = opened.first;
      while (!result.done) {
        const event = result.value;
        if (event.type === 'delta') {
          const delta = sentRole ? { content: event.content } : { role: 'assistant', content: event.content };
          sentRole = true;
          await stream.writeSSE({ data: JSON.stringify(chunk(delta, null)) });
        } else {
          await stream.writeSSE({ data: JSON.stringify(chunk(sentRole ? {} : { role: 'assistant', content: '' }, event.finishReason)) });
          if (includeUsage) {
            await stream.writeSSE({ data: JSON.stringify({ ...chunk({}, null), choices: [], usage: usageBody(event.usage) }) });
          }
          await stream.writeSSE({ data: '[DONE]' });
          return;
        }
        result = await opened.iterator.next();
      }
      throw new WorkerCrashedError(opened.dispatch.workerId, true, 'ended the answer without "done"');
    } catch (error) {
      if (stream.aborted || stream.closed) return;
      // Too far behind: the worker stops answering it (cancel) and the client is told why.
      if (error instanceof ClientTooSlowError) controller.abort(error);
      const failure = failureOf(error, controller.signal);
      deps.logger.log('ERROR', `stream ended with an error: ${(failure as Error).message}`, { worker: opened.dispatch.workerId });
      // The headers are gone: the error travels as the stream's last event, in OpenAI's shape.
      await stream.writeLast({ data: JSON.stringify(toOpenAIError(failure).body) });
    } finally {
      finish();
      await opened.iterator.return?.();
    }
  });
}
