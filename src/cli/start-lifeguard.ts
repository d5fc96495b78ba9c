import { ANONYMOUS_TENANT, tenantsOf } from '../config/tenant-keys.js';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { defaultPolicy, type LifecyclePolicy } from '../../machines/policy/policy.js';
import type { ConfigurablePolicy, LifeguardConfig } from '../config/load-config.js';
import { createDriver, describeWorker } from '../drivers/create-driver.js';
import { createApp } from '../http/app.js';
import { attachAuditTrail } from '../observability/audit-trail.js';
import { attachLifecycleLog } from '../observability/lifecycle-log.js';
import { startSkyInspector } from '../observability/inspector.js';
import { createMetrics } from '../observability/metrics.js';
import { modelOfWorker, registerModelMetrics } from '../models/models-metrics.js';
import type { Cancellation } from '../util/cancellation.js';
import { createLogger, type Logger } from '../util/logger.js';
import { startTracing } from '../observability/tracing/start-tracing.js';
import { structuredOutputFor } from '../structured/structured-dispatch.js';
import { ShuttingDownError } from '../errors.js';
import { guardConnections } from '../http/connection-guard.js';
import { defaultStreamBudgetBytes, StreamBudget } from '../http/stream-budget.js';
import { endOrphanGroups } from '../process/orphan-groups.js';
import { createSupervisor, type InspectionObserver, type Supervisor, type SupervisorConfig } from '../supervisor/supervisor.js';
import { createModelsSupervisor, type ModelsSupervisor } from '../models/models-supervisor.js';
import { recordWorkerGroups } from './group-record.js';
import { acquireLock, type Lock } from './lock-file.js';

// The configured policy values over the fixed defaults: config and policy share their names.
function policyFrom(config: LifeguardConfig): LifecyclePolicy {
  const policy = { ...defaultPolicy };
  for (const key of Object.keys(defaultPolicy) as Array<keyof LifecyclePolicy>) {
    if (key in config) policy[key] = config[key as keyof ConfigurablePolicy];
  }
  return policy;
}

/** The gateway's supervisor: one pool's, or the models' facade (which has no single pool). */
export type GatewaySupervisor = Omit<Supervisor, 'pool'> & Partial<Pick<Supervisor, 'pool'>>;

// One pool's supervisor settings from a configuration (the top level's, or one model's merged over it).
function poolConfig(config: LifeguardConfig, logger: Logger, inspect: InspectionObserver | null): SupervisorConfig {
  return {
    workers: config.workers,
    standby: config.standby ?? (config.driver === 'claude-code' ? 1 : 0),
    isolation: config.isolation,
    tenantIsolation: Object.fromEntries((config.apiKeys ?? []).flatMap((tenant) => (tenant.isolation ? [[tenant.name, tenant.isolation]] : []))),
    sessionIdleMs: config.sessionIdleMs,
    maxProcesses: config.maxProcesses,
    ...(config.memoryBudgetMb !== null ? { memoryBudgetBytes: config.memoryBudgetMb * 1024 * 1024 } : {}),
    spawnConcurrency: config.spawnConcurrency,
    driver: createDriver(config),
    policy: policyFrom(config),
    queueSize: config.queueSize,
    queueWaitMs: config.queueWaitMs,
    logger,
    ...(inspect ? { inspect } : {}),
  };
}

export interface RunningLifeguard {
  url: string;
  port: number;
  supervisor: GatewaySupervisor;
  /** The models' facade when the config file has a `models:` section (issue #27); null otherwise. */
  models: ModelsSupervisor | null;
  /** Graceful: stop accepting, drain in-flight (bounded), stop every worker tree, close. */
  shutdown(): Promise<void>;
  /** The same without the drain (a second SIGTERM): every request still running ends with `shutting_down` at once. */
  shutdownNow(): Promise<void>;
}

/** How long streams cut by the end of the drain get to say `shutting_down` before workers stop. */
const SHUTDOWN_NOTICE_MS = 2000;

// A dead lifeguard's record in the lock file: end the process groups it started and left behind —
// only processes that carry its mark (LIFEGUARD_WORKER_OF) in their environment.
async function endInheritedGroups(lock: Lock, logger: Logger): Promise<void> {
  const record = lock.inherited;
  if (!record) return;
  if (record.mark === null) {
    logger.log('WARN', `the lock file of a lifeguard that died (pid ${record.pid}) names ${record.groups.length} process group(s) but no worker mark: none is provably lifeguard's, nothing is signalled`);
    return;
  }
  const ended = await endOrphanGroups(
    record.groups.map((g) => ({ pgid: g.pgid, startTime: g.start_time })),
    record.mark,
  );
  if (ended.length > 0) {
    logger.log('WARN', `ended ${ended.length} process(es) left by a lifeguard that died (pid ${record.pid}): ${ended.join(', ')}`);
  }
}

/** How long a client may take to send its whole request (Node's requestTimeout). */
const REQUEST_RECEIVE_TIMEOUT_MS = 60_000;

// Stops listening and lets the responses still being written (a stream's last event) reach their
// clients; connections still open after `graceMs` are cut.
async function closeServer(server: HttpServer, graceMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
  clearTimeout(timer);
  server.closeAllConnections();
  await closed;
}

const waitUntil = async (check: () => boolean, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
};

// Config → lock → supervisor → app → listening server. Rejects (after cleaning up) if any step fails.
export async function startLifeguard(config: LifeguardConfig, logger: Logger = createLogger(config.logFormat)): Promise<RunningLifeguard> {
  const inspect = config.inspect ? await startSkyInspector(logger) : null;
  const tracing = await startTracing(config.otelEndpoint, logger);
  const lock = acquireLock(config.lockFile);
  const releaseAtExit = () => lock.release();
  process.once('exit', releaseAtExit);
  await endInheritedGroups(lock, logger);
  const models = config.models
    ? createModelsSupervisor({
        models: config.models,
        createPool: (model) => createSupervisor(poolConfig(model.config, logger, inspect)),
        queueSize: config.queueSize,
        queueWaitMs: config.queueWaitMs,
        logger,
      })
    : null;
  const supervisor: GatewaySupervisor = models ?? createSupervisor(poolConfig(config, logger, inspect));
  attachLifecycleLog(supervisor, logger);
  recordWorkerGroups(supervisor, lock, logger);
  const requests = new Set<Cancellation>();
  const audit = config.auditFile ? attachAuditTrail(supervisor, config.auditFile, logger) : null;
  const metrics = createMetrics(supervisor, models ? { modelOf: modelOfWorker } : {});
  if (models) registerModelMetrics(metrics.registry, models);
  tracing?.attach(supervisor);
  let shuttingDown = false;
  const app = createApp({
    supervisor,
    metrics,
    apiKey: config.apiKey,
    tenants: config.apiKeys ?? [],
    adminToken: config.adminToken,
    bodyLimitBytes: config.bodyLimitBytes,
    requestTimeoutMs: config.requestTimeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
    structuredOutput: structuredOutputFor(config.driver, config.structuredOutput),
    driver: config.driver,
    toolPolicy: config.toolPolicy,
    streamBufferBytes: config.streamBufferBytes,
    streamBudget: new StreamBudget(config.streamBudgetBytes ?? defaultStreamBudgetBytes()),
    maxAnswerBytes: config.maxAnswerBytes,
    trackRequest: (cancellation) => {
      requests.add(cancellation);
      return () => requests.delete(cancellation);
    },
    logger,
    ...(tracing ? { tracing: tracing.requests(supervisor) } : {}),
    ...(models ? { models } : {}),
    isShuttingDown: () => shuttingDown,
    clientAddress: (c) => {
      try {
        return getConnInfo(c).remote.address;
      } catch {
        return undefined;
      }
    },
  });

  let server: ServerType;
  try {
    server = await new Promise<ServerType>((resolve, reject) => {
      const s = serve(
        {
          fetch: app.fetch,
          port: config.port,
          hostname: config.host,
          serverOptions: {
            headersTimeout: config.headerTimeoutMs,
            requestTimeout: Math.max(REQUEST_RECEIVE_TIMEOUT_MS, config.headerTimeoutMs),
            keepAliveTimeout: config.keepAliveTimeoutMs,
            connectionsCheckingInterval: Math.min(1000, config.headerTimeoutMs),
          },
        },
        () => {
          s.off('error', reject);
          resolve(s);
        },
      );
      s.once('error', reject);
    });
  } catch (error) {
    lock.release();
    process.off('exit', releaseAtExit);
    throw error;
  }
  guardConnections(server as HttpServer, { maxConnections: config.maxConnections, headerTimeoutMs: config.headerTimeoutMs }, logger);
  supervisor.start();
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  if (models) {
    for (const model of config.models!) {
      logger.log('INFO', `model ${model.id}${model.aliases.length ? ` (aliases: ${model.aliases.join(', ')})` : ''}: ${model.config.workers} ${model.config.driver} worker(s), start ${model.start}${model.ttlMs ? `, ttl_s ${model.ttlMs / 1000}` : ''}${model.exclusive ? `, exclusive ${model.exclusive}` : ''}: ${describeWorker(model.config)}`);
    }
    logger.log('INFO', `lifeguard listening on ${url} with ${config.models!.length} model(s)`);
  } else {
    logger.log('INFO', `lifeguard listening on ${url} with ${config.workers} ${config.driver} worker(s): ${describeWorker(config)}`);
    const { policy: pool } = (supervisor as Supervisor).pool().context;
    logger.log(
      'INFO',
      `pool: ${pool.isolation} isolation, memory budget ${Math.round(pool.memoryBudgetBytes / 1024 / 1024)} MiB, ${pool.workers + pool.standby} to ${pool.maxProcesses} processes, ${pool.spawnConcurrency} starting at once`,
    );
  }
  const tenants = tenantsOf(config.apiKeys, config.apiKey).map((tenant) => tenant.name);
  logger.log('INFO', `tenants: ${tenants.length ? tenants.join(', ') : ANONYMOUS_TENANT}`);
  if (!config.apiKey && !config.apiKeys?.length && !['127.0.0.1', '::1', 'localhost'].includes(config.host)) {
    logger.log('WARN', `listening on ${config.host} without an API key: anyone who can reach it can use the worker (set --api-key)`);
  }

  let closing: Promise<void> | null = null;
  let hurry: () => void = () => undefined;
  const hurried = new Promise<void>((resolve) => (hurry = resolve));
  const shutdown = () =>
    (closing ??= (async () => {
      shuttingDown = true;
      supervisor.closeQueue();
      const inFlight = supervisor.stats().inFlight;
      if (inFlight > 0) {
        logger.log('INFO', `shutting down: waiting up to ${config.drainTimeoutMs} ms for ${inFlight} in-flight request(s)`);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([supervisor.idle(), hurried, new Promise<void>((resolve) => (timer = setTimeout(resolve, config.drainTimeoutMs)))]);
        clearTimeout(timer);
      }
      // Requests still running when the drain is over end with a reason the client can read, before
      // any worker is stopped (a stopped worker would otherwise say worker_crashed).
      if (requests.size > 0) {
        logger.log('WARN', `shutting down: ending ${requests.size} request(s) still in flight (shutting_down)`);
        for (const cancellation of requests) cancellation.abort(new ShuttingDownError());
        await waitUntil(() => requests.size === 0, SHUTDOWN_NOTICE_MS);
      }
      await supervisor.stop();
      await closeServer(server as HttpServer, SHUTDOWN_NOTICE_MS);
      await audit?.close();
      await tracing?.shutdown();
      lock.release();
      process.off('exit', releaseAtExit);
      logger.log('INFO', 'lifeguard stopped: every worker process has ended');
    })());
  const shutdownNow = () => {
    hurry();
    return shutdown();
  };

  return { url, port, supervisor, models, shutdown, shutdownNow };
}
