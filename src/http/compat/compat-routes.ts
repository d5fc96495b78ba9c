import type { Hono } from 'hono';
import { NotFoundError, WorkerRequestError, type LifeguardError } from '../../errors.js';
import type { Logger } from '../../util/logger.js';
import { readBodyText } from '../read-body.js';
import { estimateInputTokens } from './count-tokens.js';

export interface CompatRouteDeps {
  /** An upstream server's answer to the path (openai-http); null when no worker's driver forwards. */
  forward?(path: string, body: string, signal: AbortSignal): Promise<Response> | null;
  driver: string;
  /** Several models: the driver of the model a request names (null: unknown), over `driver`. */
  driverOf?(model: string): string | null;
  bodyLimitBytes: number;
  defaultModel(): string;
  logger: Logger;
}

const modelOf = (text: string, fallback: string) => {
  try {
    const model = (JSON.parse(text) as { model?: unknown }).model;
    return typeof model === 'string' ? model : fallback;
  } catch {
    return fallback;
  }
};

// The upstream's answer, as it is (status, JSON body); a server that cannot be reached is a 502.
async function relay(answer: Promise<Response>): Promise<Response> {
  let response: Response;
  try {
    response = await answer;
  } catch (error) {
    // lifeguard's own refusals (the model could not start in time, shutting down) keep their status.
    if ((error as Partial<LifeguardError>).kind) throw error;
    throw new WorkerRequestError(`The model server could not be reached: ${(error as Error).message}`, true);
  }
  return new Response(response.body, { status: response.status, headers: { 'content-type': response.headers.get('content-type') ?? 'application/json' } });
}

// Endpoints beside the answer core (docs/http-api.md): /v1/embeddings goes to an upstream that serves it;
// /v1/messages/count_tokens goes to an upstream that counts, or is estimated here.
export function registerCompatRoutes(app: Hono, deps: CompatRouteDeps): void {
  app.post('/v1/embeddings', async (c) => {
    const text = await readBodyText(c, deps.bodyLimitBytes);
    const forwarded = deps.forward?.('/v1/embeddings', text, c.req.raw.signal) ?? null;
    if (!forwarded) {
      const model = modelOf(text, deps.defaultModel());
      throw new NotFoundError(
        `The model ${JSON.stringify(model)} does not serve embeddings: lifeguard's ${deps.driverOf?.(model) ?? deps.driver} worker answers chat only (embeddings are passed through to openai-http workers whose server has /v1/embeddings)`,
      );
    }
    return relay(forwarded);
  });

  app.post('/v1/messages/count_tokens', async (c) => {
    const text = await readBodyText(c, deps.bodyLimitBytes);
    const raw = (() => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return text;
      }
    })();
    const forwarded = deps.forward?.('/v1/messages/count_tokens', text, c.req.raw.signal) ?? null;
    if (forwarded) {
      const answer = await forwarded.catch(() => null);
      if (answer?.ok) {
        c.header('X-Lifeguard-Token-Count', 'upstream');
        return c.json((await answer.json()) as object);
      }
      deps.logger.log('INFO', `the model server does not count tokens (${answer ? `status ${answer.status}` : 'unreachable'}): estimating`);
    }
    const tokens = estimateInputTokens(raw);
    c.header('X-Lifeguard-Token-Count', 'estimate');
    return c.json({ input_tokens: tokens });
  });
}
