import type { Context, Hono } from 'hono';
import type { Metrics } from '../observability/metrics.js';
import { chatCompletionsApi } from './chat-completions.js';
import { registerCompatRoutes, type CompatRouteDeps } from './compat/compat-routes.js';
import { applyToolPolicy, type ToolPolicy } from './compat/tool-policy.js';
import { completionsApi } from './completions/completions-request.js';
import { toAnthropicError } from './messages/anthropic-errors.js';
import { messagesApi } from './messages/messages-request.js';
import { respondWithError, toOpenAIError } from './openai-errors.js';
import { requestFacts } from './request-facts.js';
import { requestLog, type RequestLogDeps } from './request-log.js';
import { createResponsesApi } from './responses/responses-request.js';
import { readJsonBody, serveAnswer, type AnswerDeps, type AnswerRequest } from './serve-answer.js';

/** The paths whose errors take Anthropic's shape (the Messages API); every other path answers OpenAI's. */
export const isAnthropicPath = (path: string) => path === '/v1/messages' || path.startsWith('/v1/messages/');

// An error in the shape of the API the client called; its code and param are kept for the request's log line.
export function respondInShape(c: Context, error: unknown): Response {
  const { code, param } = toOpenAIError(error).body.error;
  requestFacts(c).error = { code, ...(param ? { param } : {}) };
  if (!isAnthropicPath(c.req.path)) return respondWithError(c, error);
  const { status, body, headers } = toAnthropicError(error);
  return c.json(body, status, headers);
}

/** The header that names the tools left out of what the worker sees (tool_policy: drop). */
export const TOOLS_DROPPED_HEADER = 'X-Lifeguard-Tools-Dropped';

export interface AnswerRouteDeps {
  answer: AnswerDeps;
  bodyLimitBytes: number;
  metrics?: Metrics;
  supervisor?: RequestLogDeps['supervisor'];
  /** Tool types the worker cannot call (compat/tool-policy.ts); absent → passed as they came. */
  toolPolicy?: ToolPolicy;
  /** Several models: the tool policy of the model the request names (its own driver's), over `toolPolicy`. */
  toolPolicyFor?(model: string): ToolPolicy;
  compat?: Omit<CompatRouteDeps, 'bodyLimitBytes' | 'logger' | 'defaultModel'>;
}

// Four APIs, one answer core (STYLE 16): each path is a parser (raw body → AnswerRequest, which holds
// the API's renderer) over serveAnswer. A fifth API is one more entry here and its two small files.
export function registerAnswerRoutes(app: Hono, deps: AnswerRouteDeps): void {
  const apis: Record<string, (raw: unknown, defaultModel: string) => AnswerRequest> = {
    '/v1/chat/completions': chatCompletionsApi,
    '/v1/completions': completionsApi,
    '/v1/responses': createResponsesApi(),
    '/v1/messages': messagesApi,
  };
  const logged = requestLog({ logger: deps.answer.logger, ...(deps.supervisor ? { supervisor: deps.supervisor } : {}), observe: (status, seconds) => deps.metrics?.observeRequest(status, seconds) });
  for (const [path, api] of Object.entries(apis)) {
    // One [DONE] (or [ERROR]) line and one metrics observation per request, at its last byte.
    app.use(path, logged);
    app.post(path, async (c) => {
      const request = api(await readJsonBody(c, deps.bodyLimitBytes), deps.answer.defaultModel());
      const toolPolicy = deps.toolPolicyFor?.(request.body.model ?? deps.answer.defaultModel()) ?? deps.toolPolicy;
      if (toolPolicy) {
        const bodies = request.choices ? [request.body, ...request.choices] : null;
        const dropped = bodies ? [...new Set(bodies.flatMap((body) => applyToolPolicy(body, toolPolicy)))] : applyToolPolicy(request.body, toolPolicy);
        if (dropped.length) {
          c.header(TOOLS_DROPPED_HEADER, dropped.join(','));
          deps.answer.logger.log('INFO', `tools left out of what the worker sees (tool_policy: drop): ${dropped.join(', ')}`, { request_id: (c as Context).get('requestId') as string | undefined });
        }
      }
      return serveAnswer(c, deps.answer, request);
    });
  }
  for (const path of ['/v1/embeddings', '/v1/messages/count_tokens']) app.use(path, logged);
  registerCompatRoutes(app, { driver: 'jsonl', ...deps.compat, bodyLimitBytes: deps.bodyLimitBytes, defaultModel: deps.answer.defaultModel, logger: deps.answer.logger });
}
