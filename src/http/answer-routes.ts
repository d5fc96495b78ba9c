import type { Context, Hono } from 'hono';
import type { Metrics } from '../observability/metrics.js';
import { chatCompletionsApi } from './chat-completions.js';
import { toAnthropicError } from './messages/anthropic-errors.js';
import { messagesApi } from './messages/messages-request.js';
import { respondWithError } from './openai-errors.js';
import { requestLog, type RequestLogDeps } from './request-log.js';
import { createResponsesApi } from './responses/responses-request.js';
import { readJsonBody, serveAnswer, type AnswerDeps, type AnswerRequest } from './serve-answer.js';

/** The paths whose errors take Anthropic's shape (the Messages API); every other path answers OpenAI's. */
export const isAnthropicPath = (path: string) => path === '/v1/messages' || path.startsWith('/v1/messages/');

// An error in the shape of the API the client called.
export function respondInShape(c: Context, error: unknown): Response {
  if (!isAnthropicPath(c.req.path)) return respondWithError(c, error);
  const { status, body, headers } = toAnthropicError(error);
  return c.json(body, status, headers);
}

// Three APIs, one answer core (STYLE 16): each path is a parser (raw body → AnswerRequest, which holds
// the API's renderer) over serveAnswer. A fourth API is one more entry here and its two small files.
export function registerAnswerRoutes(app: Hono, deps: { answer: AnswerDeps; bodyLimitBytes: number; metrics?: Metrics; supervisor?: RequestLogDeps['supervisor'] }): void {
  const apis: Record<string, (raw: unknown, defaultModel: string) => AnswerRequest> = {
    '/v1/chat/completions': chatCompletionsApi,
    '/v1/responses': createResponsesApi(),
    '/v1/messages': messagesApi,
  };
  for (const [path, api] of Object.entries(apis)) {
    // One [DONE] (or [ERROR]) line and one metrics observation per request, at its last byte.
    app.use(path, requestLog({ logger: deps.answer.logger, ...(deps.supervisor ? { supervisor: deps.supervisor } : {}), observe: (status, seconds) => deps.metrics?.observeRequest(status, seconds) }));
    app.post(path, (c) => readJsonBody(c, deps.bodyLimitBytes).then((raw) => serveAnswer(c, deps.answer, api(raw, deps.answer.defaultModel()))));
  }
}
