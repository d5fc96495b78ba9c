import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { workerMachine } from '../../machines/worker-machine.js';
import { BodyTooLargeError, NotFoundError, UnauthorizedError, type LifeguardError } from '../errors.js';
import { healthView } from '../observability/health-view.js';
import type { Logger } from '../observability/logger.js';
import type { Supervisor, WorkerCommand } from '../supervisor/supervisor.js';
import type { Metrics } from '../observability/metrics.js';
import { machineToMermaid } from '../viz/machine-to-mermaid.js';
import { statechartSvg } from '../viz/statechart-svg.js';
import { streamAdminEvents } from './admin-events.js';
import { uiPage } from './ui-page.js';
import { bearerMatches, isLoopback } from './auth.js';
import { handleChatCompletion, type ChatDeps } from './chat-completions.js';
import { http10Framing } from './http10.js';
import { respondWithError } from './openai-errors.js';

export interface AppDeps {
  supervisor: Pick<Supervisor, 'dispatch' | 'snapshots' | 'stats' | 'command' | 'subscribe'> & Partial<Pick<Supervisor, 'pool'>>;
  /** Prometheus metrics (GET /metrics); absent → 404. */
  metrics?: Metrics;
  apiKey: string | null;
  adminToken: string | null;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  /** stream_buffer_bytes (default 8 MiB). */
  streamBufferBytes?: number;
  /** Sees every chat request's controller while it runs (shutdown ends streams with a reason). */
  trackRequest?: (controller: AbortController) => () => void;
  logger: Logger;
  isShuttingDown: () => boolean;
  /** The client's address, for admin calls without a token (loopback only). */
  clientAddress: (c: Context) => string | undefined;
  gatewayRssBytes?: () => number;
  /** Answers validated against `response_format` (see structuredOutputFor); absent → passed as they are. */
  structuredOutput?: ChatDeps['structuredOutput'];
}

const COMMANDS: readonly WorkerCommand[] = ['restart', 'drain', 'recover'];

function models(deps: AppDeps): string[] {
  return [...new Set(deps.supervisor.snapshots().flatMap((w) => w.snapshot.context.models))];
}

// The gateway (SPEC §4). It never listens: main.ts serves it, tests call app.request().
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const mermaid = machineToMermaid(workerMachine);

  app.use(http10Framing);
  app.use(requestId());
  app.onError((error, c) => {
    if (!(error as Partial<LifeguardError>).kind) deps.logger.log('ERROR', `unexpected error: ${error.stack ?? String(error)}`);
    return respondWithError(c, error);
  });
  app.notFound((c) => respondWithError(c, new NotFoundError(`No route for ${c.req.method} ${c.req.path}`)));

  app.use('/v1/*', async (c, next) => {
    if (deps.apiKey && !bearerMatches(c.req.header('authorization'), deps.apiKey)) {
      throw new UnauthorizedError('Missing or invalid API key: send Authorization: Bearer <key>');
    }
    await next();
  });

  app.use('/v1/chat/completions', async (c, next) => {
    const started = performance.now();
    const observe = () => deps.metrics?.observeRequest(c.res.status, (performance.now() - started) / 1000);
    await next();
    const body = c.res.body;
    if (!deps.metrics) return;
    if (!body || !c.res.headers.get('content-type')?.includes('text/event-stream')) return observe();
    // A stream's duration runs to its last byte.
    c.res = new Response(body.pipeThrough(new TransformStream({ flush: observe })), c.res);
  });

  app.post(
    '/v1/chat/completions',
    bodyLimit({
      maxSize: deps.bodyLimitBytes,
      onError: () => {
        throw new BodyTooLargeError(deps.bodyLimitBytes);
      },
    }),
    (c) =>
      handleChatCompletion(c, {
        // X-Session-Id names the conversation (SPEC §6); prompt_cache_key in the body does too.
        dispatch: (body, signal, avoid) => deps.supervisor.dispatch(body, signal, avoid, { sessionKey: c.req.header('x-session-id') ?? null }),
        defaultModel: () => models(deps)[0] ?? 'lifeguard',
        requestTimeoutMs: deps.requestTimeoutMs,
        idleTimeoutMs: deps.idleTimeoutMs,
        streamBufferBytes: deps.streamBufferBytes ?? 8 * 1024 * 1024,
        ...(deps.trackRequest ? { track: deps.trackRequest } : {}),
        isShuttingDown: deps.isShuttingDown,
        logger: deps.logger,
        structuredOutput: deps.structuredOutput ?? null,
      }),
  );

  app.get('/v1/models', (c) =>
    c.json({ object: 'list', data: models(deps).map((id) => ({ id, object: 'model', created: 0, owned_by: 'lifeguard' })) }),
  );

  app.get('/health', (c) => {
    const view = healthView({
      workers: deps.supervisor.snapshots(),
      ...(deps.supervisor.pool ? { pool: deps.supervisor.pool().context } : {}),
      stats: deps.supervisor.stats(),
      gatewayRssBytes: deps.gatewayRssBytes?.() ?? process.memoryUsage().rss,
      now: Date.now(),
    });
    return c.json(view.body, view.status);
  });
  app.get('/livez', (c) => (deps.isShuttingDown() ? c.json({ status: 'shutting_down' }, 503) : c.json({ status: 'ok' })));
  app.get('/readyz', (c) => {
    const ready = !deps.isShuttingDown() && deps.supervisor.snapshots().some((w) => w.snapshot.hasTag('accepting'));
    return c.json({ ready }, ready ? 200 : 503);
  });

  app.get('/metrics', async (c) => {
    if (!deps.metrics) throw new NotFoundError('Metrics are not enabled');
    return c.body(await deps.metrics.registry.metrics(), 200, { 'content-type': deps.metrics.registry.contentType });
  });

  let svg: Promise<string> | null = null;
  app.get('/ui', (c) => c.html(uiPage));
  app.get('/favicon.ico', (c) => c.body(null, 204));
  app.get('/ui/statechart.svg', async (c) => c.body(await (svg ??= statechartSvg(workerMachine)), 200, { 'content-type': 'image/svg+xml' }));

  app.use('/admin/*', async (c, next) => {
    const allowed = deps.adminToken
      ? bearerMatches(c.req.header('authorization'), deps.adminToken)
      : isLoopback(deps.clientAddress(c));
    if (!allowed) {
      throw new UnauthorizedError(
        deps.adminToken ? 'Missing or invalid admin token: send Authorization: Bearer <admin token>' : 'Admin calls are allowed from loopback only when no admin token is configured',
      );
    }
    await next();
  });
  app.get('/admin/state', (c) =>
    c.json({
      workers: deps.supervisor.snapshots().map(({ id, snapshot }) => ({
        id,
        value: snapshot.value,
        status: snapshot.status,
        tags: [...snapshot.tags],
        context: snapshot.context,
      })),
      machine: { definition: workerMachine.definition, mermaid },
    }),
  );
  app.get('/admin/events', (c) => streamAdminEvents(c, deps.supervisor));
  app.post('/admin/workers/:id/:command', (c) => {
    const command = c.req.param('command') as WorkerCommand;
    if (!COMMANDS.includes(command)) throw new NotFoundError(`Unknown admin command "${command}" (known: ${COMMANDS.join(', ')})`);
    const snapshot = deps.supervisor.command(c.req.param('id'), command);
    return c.json({ id: c.req.param('id'), command, value: snapshot.value, tags: [...snapshot.tags] }, 202);
  });

  return app;
}
