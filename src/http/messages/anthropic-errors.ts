import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { LifeguardError } from '../../errors.js';
import { toOpenAIError } from '../openai-errors.js';

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
}

// Anthropic's error types, by the HTTP status lifeguard answers with; a worker pool that cannot take
// the request now (offline, queue full or timed out, shutting down) is "overloaded".
const OVERLOADED = new Set(['worker_offline', 'queue_full', 'queue_timeout', 'shutting_down']);
const byStatus: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  504: 'timeout_error',
};

// Any error → Anthropic's error shape (for /v1/messages), with the same status and headers as OpenAI's.
export function toAnthropicError(error: unknown): { status: ContentfulStatusCode; body: AnthropicErrorBody; headers: Record<string, string> } {
  const { status, body, headers } = toOpenAIError(error);
  const type = error instanceof LifeguardError && OVERLOADED.has(error.kind) ? 'overloaded_error' : (byStatus[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error'));
  return { status, headers, body: { type: 'error', error: { type, message: body.error.message } } };
}
