import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { LifeguardError, type ErrorKind } from '../errors.js';

export interface OpenAIErrorBody {
  error: { message: string; type: string; code: string; param?: string | null };
}

const byKind: Record<ErrorKind, { status: ContentfulStatusCode; type: string; code: string }> = {
  invalid_request: { status: 400, type: 'invalid_request_error', code: 'invalid_request' },
  unauthorized: { status: 401, type: 'authentication_error', code: 'invalid_api_key' },
  not_found: { status: 404, type: 'invalid_request_error', code: 'not_found' },
  conflict: { status: 409, type: 'invalid_request_error', code: 'invalid_state' },
  forbidden: { status: 403, type: 'invalid_request_error', code: 'forbidden' },
  conversation_lost: { status: 409, type: 'invalid_request_error', code: 'conversation_lost' },
  body_too_large: { status: 413, type: 'invalid_request_error', code: 'request_too_large' },
  worker_offline: { status: 503, type: 'server_error', code: 'worker_offline' },
  queue_full: { status: 503, type: 'server_error', code: 'queue_full' },
  queue_timeout: { status: 503, type: 'server_error', code: 'queue_timeout' },
  worker_crashed: { status: 502, type: 'server_error', code: 'worker_crashed' },
  worker_error: { status: 502, type: 'server_error', code: 'worker_error' },
  request_timeout: { status: 504, type: 'server_error', code: 'request_timeout' },
  cancelled: { status: 499 as ContentfulStatusCode, type: 'invalid_request_error', code: 'cancelled' },
  client_too_slow: { status: 408 as ContentfulStatusCode, type: 'server_error', code: 'client_too_slow' },
  answer_too_large: { status: 502, type: 'server_error', code: 'answer_too_large' },
  shutting_down: { status: 503, type: 'server_error', code: 'shutting_down' },
  invalid_structured_output: { status: 502, type: 'server_error', code: 'invalid_structured_output' },
  model_not_found: { status: 404, type: 'invalid_request_error', code: 'model_not_found' },
};

// Any error → OpenAI's error shape, its HTTP status and the headers that go with it.
export function toOpenAIError(error: unknown): { status: ContentfulStatusCode; body: OpenAIErrorBody; headers: Record<string, string> } {
  if (error instanceof LifeguardError) {
    const mapped = byKind[error.kind];
    const headers: Record<string, string> = {};
    if ('retryAfterS' in error && typeof error.retryAfterS === 'number') headers['Retry-After'] = String(error.retryAfterS);
    if (error.kind === 'worker_offline' || error.kind === 'shutting_down') headers['Retry-After'] ??= '30';
    const body: OpenAIErrorBody = { error: { message: error.message, type: mapped.type, code: mapped.code } };
    if ('field' in error && typeof error.field === 'string') body.error.param = error.field;
    return { status: mapped.status, body, headers };
  }
  if (error instanceof HTTPException) {
    const status = error.status as ContentfulStatusCode;
    return {
      status,
      body: { error: { message: error.message || 'Bad request', type: status < 500 ? 'invalid_request_error' : 'server_error', code: `http_${status}` } },
      headers: {},
    };
  }
  return { status: 500, body: { error: { message: 'Internal error in lifeguard', type: 'server_error', code: 'internal_error' } }, headers: {} };
}

export function respondWithError(c: Context, error: unknown): Response {
  const { status, body, headers } = toOpenAIError(error);
  for (const [name, value] of Object.entries(headers)) c.header(name, value);
  return c.json(body, status);
}
