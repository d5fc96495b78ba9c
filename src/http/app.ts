import { Hono, type Context } from 'hono';
import { workerMachine } from '../../machines/worker-machine.js';
import { NotFoundError, UnauthorizedError, type LifeguardError } from '../errors.js';
import { healthView } from '../observability/health-view.js';
import type { Cancellation } from '../util/cancellation.js';
import type { Logger } from '../util/logger.js';
import type { DispatchFn, Supervisor, WorkerCommand } from '../supervisor/supervisor.js';
import type { Metrics } from '../observability/metrics.js';
import type { RequestTracing } from '../observability/tracing/request-spans.js';
import { machineToMermaid } from '../viz/machine-to-mermaid.js';
import { streamAdminEvents } from './admin-events.js';
import { refuseAdminUnlessAllowed, refuseRecoverUnlessOffline } from './admin-guards.js';
import { registerUi } from './ui-routes.js';
import { recordTransitions } from '../observability/transition-history.js';
import { isAnthropicPath, registerAnswerRoutes, respondInShape } from './answer-routes.js';
import type { AnswerDeps } from './serve-answer.js';
import type { StreamBudget } from './stream-budget.js';
import { tenantOfRequest } from './auth.js';
import { requestFacts } from './request-facts.js';
import { tenantsOf } from '../config/tenant-keys.js';
import { requestId } from './request-id.js';
import { enforcementFor } from './compat/answer-limits.js';
import { toolPolicyFor, type ToolPolicyMode } from './compat/tool-policy.js';
import { modelsHealth, modelsList, modelsMachines, modelsWorkers, registerModelAdmin, type ModelsDeps } from './models-routes.js';
import { poolMachine } from '../../machines/pool-machine.js';
import { modelsMachine } from '../../machines/models-machine.js';

export interface AppDeps {
  supervisor: Pick<Supervisor, 'dispatch' | 'snapshots' | 'snapshotOf' | 'models' | 'stats' | 'command' | 'subscribe'> & Partial<Pick<Supervisor, 'pool' | 'forward'>>;
  /** The workers' driver: what lifeguard applies itself (tools, stop, max_tokens; src/http/compat/). Default jsonl. */
  driver?: string;
  /** tool_policy (default drop): tools the worker cannot call are left out and named, or refused. */
  toolPolicy?: ToolPolicyMode;
  /** Prometheus metrics (GET /metrics); absent → 404. */
  metrics?: Metrics;
  apiKey: string | null;
  /** Named client keys, one tenant each (api_keys); the single apiKey is the tenant `default`. */
  tenants?: ReadonlyArray<{ name: string; key: string }>;
  adminToken: string | null;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  /** stream_buffer_bytes (default 8 MiB). */
  streamBufferBytes?: number;
  /** stream_budget_bytes, shared by every stream; absent → streams are bounded one by one only. */
  streamBudget?: StreamBudget;
  /** max_answer_bytes (default 64 MiB). */
  maxAnswerBytes?: number;
  /** Sees every chat request's cancellation while it runs (shutdown ends streams with a reason). */
  trackRequest?: (cancellation: Cancellation) => () => void;
  logger: Logger;
  isShuttingDown: () => boolean;
  /** The client's address, for admin calls without a token (loopback only). */
  clientAddress: (c: Context) => string | undefined;
  gatewayRssBytes?: () => number;
  /** OpenTelemetry request spans; absent (tracing off) → no middleware, dispatch untouched. */
  tracing?: RequestTracing;
  /** Answers validated against `response_format` (see structuredOutputFor); absent → passed as they are. */
  structuredOutput?: AnswerDeps['structuredOutput'];
  /** Several models (the config's `models:`): /v1/models, /health, /readyz and /admin/models/* read the table. */
  models?: ModelsDeps;
}

const COMMANDS: readonly WorkerCommand[] = ['restart', 'drain', 'recover'];

// Each model once; an upstream server's own entry (its `created`, `owned_by`, …) when it gave one.
function modelList(deps: AppDeps) {
  const entries = new Map<string, Record<string, unknown>>();
  for (const { snapshot } of deps.supervisor.snapshots()) {
    for (const entry of snapshot.context.modelEntries) if (typeof entry.id === 'string' && !entries.has(entry.id)) entries.set(entry.id, entry);
  }
  return deps.supervisor.models().map((id) => ({ id, object: 'model', created: 0, owned_by: 'lifeguard', ...entries.get(id) }));
}

// The gateway (docs/http-api.md). It never listens: main.ts serves it, tests call app.request().
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const mermaid = machineToMermaid(workerMachine);

  app.use(requestId);
  if (deps.tracing) {
    app.use('/v1/chat/completions', deps.tracing.middleware('chat.completions'));
    app.use('/v1/responses', deps.tracing.middleware('responses'));
    app.use('/v1/messages', deps.tracing.middleware('messages'));
  }
  const traced = deps.tracing?.dispatch ?? ((dispatch: DispatchFn) => dispatch);
  app.onError((error, c) => {
    if (!(error as Partial<LifeguardError>).kind) deps.logger.log('ERROR', `unexpected error: ${error.stack ?? String(error)}`);
    return respondInShape(c, error);
  });
  // Every unmatched route is logged and counted: a client calling an API lifeguard lacks shows up.
  app.notFound((c) => {
    deps.logger.log('WARN', `no route for ${c.req.method} ${c.req.path} (404)`, { request_id: (c as Context).get('requestId') as string | undefined });
    deps.metrics?.unmatchedRoute(c.req.method);
    return respondInShape(c, new NotFoundError(`No route for ${c.req.method} ${c.req.path}`));
  });

  // Each client key names a tenant; the request carries its tenant's name from here on.
  const tenants = tenantsOf(deps.tenants ? [...deps.tenants].map((t) => ({ ...t, isolation: null })) : null, deps.apiKey);
  if (tenants.length > 0) {
    app.use('/v1/*', async (c, next) => {
      const tenant = tenantOfRequest(c, tenants, isAnthropicPath(c.req.path));
      if (tenant === null) {
        throw new UnauthorizedError(
          isAnthropicPath(c.req.path) ? 'Missing or invalid API key: send x-api-key: <key> or Authorization: Bearer <key>' : 'Missing or invalid API key: send Authorization: Bearer <key>',
        );
      }
      requestFacts(c).tenant = tenant;
      await next();
    });
  }

  const driver = deps.driver ?? 'jsonl';
  const forward = deps.supervisor.forward?.bind(deps.supervisor);
  const toolMode = deps.toolPolicy ?? 'drop';
  // Several models: tools, stop and max_tokens follow the driver of the model a request names (an unknown
  // name keeps the top level's: its dispatch is a 404 anyway).
  const models = deps.models;
  const driverOf = models ? (model: string) => models.driverOf(model) ?? driver : null;
  registerAnswerRoutes(app, {
    toolPolicy: toolPolicyFor(driver, toolMode),
    ...(driverOf ? { toolPolicyFor: (model: string) => toolPolicyFor(driverOf(model), toolMode) } : {}),
    compat: { driver, ...(forward ? { forward } : {}), ...(models ? { driverOf: (model: string) => models.driverOf(model) } : {}) },
    answer: {
      limits: enforcementFor(driver),
      ...(driverOf ? { limitsFor: (model: string) => enforcementFor(driverOf(model)) } : {}),
      dispatch: traced((body, signal, avoid, options) => deps.supervisor.dispatch(body, signal, avoid, options)),
      defaultModel: () => deps.supervisor.models()[0] ?? 'lifeguard',
      requestTimeoutMs: deps.requestTimeoutMs,
      idleTimeoutMs: deps.idleTimeoutMs,
      streamBufferBytes: deps.streamBufferBytes ?? 8 * 1024 * 1024,
      ...(deps.streamBudget ? { streamBudget: deps.streamBudget } : {}),
      maxAnswerBytes: deps.maxAnswerBytes ?? 64 * 1024 * 1024,
      ...(deps.trackRequest ? { track: deps.trackRequest } : {}),
      structuredOutput: deps.structuredOutput ?? null,
      isShuttingDown: deps.isShuttingDown,
      logger: deps.logger,
    },
    bodyLimitBytes: deps.bodyLimitBytes,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    supervisor: deps.supervisor,
  });

  app.get('/v1/models', (c) => c.json({ object: 'list', data: models ? modelsList(models) : modelList(deps) }));

  app.get('/health', (c) => {
    const view = healthView({
      workers: deps.supervisor.snapshots(),
      ...(deps.supervisor.pool ? { pool: deps.supervisor.pool().context } : {}),
      stats: deps.supervisor.stats(),
      gatewayRssBytes: deps.gatewayRssBytes?.() ?? process.memoryUsage().rss,
      now: Date.now(),
    });
    if (models) return c.json({ ...view.body, workers: modelsWorkers(models, Date.now()), models: modelsHealth(models, Date.now()) }, models.canServe() ? 200 : 503);
    return c.json(view.body, view.status);
  });
  app.get('/livez', (c) => (deps.isShuttingDown() ? c.json({ status: 'shutting_down' }, 503) : c.json({ status: 'ok' })));
  app.get('/readyz', (c) => {
    // With several models: ready when any model can serve (one accepts, or one is unloaded and starts on demand).
    const ready = !deps.isShuttingDown() && (models ? models.canServe() : deps.supervisor.snapshots().some((w) => w.snapshot.hasTag('accepting')));
    return c.json({ ready }, ready ? 200 : 503);
  });

  app.get('/metrics', async (c) => {
    if (!deps.metrics) throw new NotFoundError('Metrics are not enabled');
    return c.body(await deps.metrics.registry.metrics(), 200, { 'content-type': deps.metrics.registry.contentType });
  });

  registerUi(app, { worker: workerMachine, pool: poolMachine, models: modelsMachine });
  const history = recordTransitions(deps.supervisor);

  app.use('/admin/*', async (c, next) => {
    refuseAdminUnlessAllowed(c, deps.adminToken, deps.clientAddress(c));
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
  const supervisor = deps.supervisor;
  const eventsSource = models
    ? {
        snapshots: () => supervisor.snapshots(),
        stats: () => supervisor.stats(),
        subscribe: supervisor.subscribe,
        modelsHealth: () => modelsHealth(models, Date.now()),
        modelsWorkers: () => modelsWorkers(models, Date.now()),
        machines: () => modelsMachines(models),
      }
    : {
        snapshots: () => supervisor.snapshots(),
        stats: () => supervisor.stats(),
        subscribe: (listener: Parameters<typeof supervisor.subscribe>[0]) => supervisor.subscribe(listener),
        ...(supervisor.pool ? { pool: () => supervisor.pool!() } : {}),
        machines: () => ({ models: null, pools: supervisor.pool ? [{ model: null, value: supervisor.pool().value }] : [] }),
      };
  app.get('/admin/events', (c) => streamAdminEvents(c, eventsSource, history));
  if (models) registerModelAdmin(app, models);
  app.post('/admin/workers/:id/:command', (c) => {
    const command = c.req.param('command') as WorkerCommand;
    if (!COMMANDS.includes(command)) throw new NotFoundError(`Unknown admin command "${command}" (known: ${COMMANDS.join(', ')})`);
    if (command === 'recover') refuseRecoverUnlessOffline(deps.supervisor, c.req.param('id'));
    const snapshot = deps.supervisor.command(c.req.param('id'), command);
    return c.json({ id: c.req.param('id'), command, value: snapshot.value, tags: [...snapshot.tags] }, 202);
  });

  return app;
}
