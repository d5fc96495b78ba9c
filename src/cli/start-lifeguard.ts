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
import { createLogger, type Logger } from '../observability/logger.js';
import { structuredOutputFor } from '../structured/structured-dispatch.js';
import { createSupervisor } from '../supervisor/supervisor.js';
import { acquireLock } from './lock-file.js';

// The configured policy values over the fixed defaults: config and policy share their names.
function policyFrom(config: LifeguardConfig): LifecyclePolicy {
  const policy = { ...defaultPolicy };
  for (const key of Object.keys(defaultPolicy) as Array<keyof LifecyclePolicy>) {
    if (key in config) policy[key] = config[key as keyof ConfigurablePolicy];
  }
  return policy;
}

export interface RunningLifeguard {
  url: string;
  port: number;
  supervisor: ReturnType<typeof createSupervisor>;
  /** Graceful: stop accepting, drain in-flight (bounded), stop every worker tree, close. */
  shutdown(): Promise<void>;
}

// Config → lock → supervisor → app → listening server. Rejects (after cleaning up) if any step fails.
export async function startLifeguard(config: LifeguardConfig, logger: Logger = createLogger(config.logFormat)): Promise<RunningLifeguard> {
  const inspect = config.inspect ? await startSkyInspector(logger) : null;
  const lock = acquireLock(config.lockFile);
  const supervisor = createSupervisor({
    workers: config.workers,
    standby: config.standby ?? (config.driver === 'claude-code' ? 1 : 0),
    isolation: config.isolation,
    sessionIdleMs: config.sessionIdleMs,
    driver: createDriver(config),
    policy: policyFrom(config),
    queueSize: config.queueSize,
    queueWaitMs: config.queueWaitMs,
    logger,
    ...(inspect ? { inspect } : {}),
  });
  attachLifecycleLog(supervisor, logger);
  const audit = config.auditFile ? attachAuditTrail(supervisor, config.auditFile, logger) : null;
  const metrics = createMetrics(supervisor);
  let shuttingDown = false;
  const app = createApp({
    supervisor,
    metrics,
    apiKey: config.apiKey,
    adminToken: config.adminToken,
    bodyLimitBytes: config.bodyLimitBytes,
    requestTimeoutMs: config.requestTimeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
    structuredOutput: structuredOutputFor(config.driver, config.structuredOutput),
    logger,
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
      const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
      s.once('error', reject);
    });
  } catch (error) {
    lock.release();
    throw error;
  }
  supervisor.start();
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  logger.log('INFO', `lifeguard listening on ${url} with ${config.workers} ${config.driver} worker(s): ${describeWorker(config)}`);
  if (!config.apiKey && !['127.0.0.1', '::1', 'localhost'].includes(config.host)) {
    logger.log('WARN', `listening on ${config.host} without an API key: anyone who can reach it can use the worker (set --api-key)`);
  }

  let closing: Promise<void> | null = null;
  const shutdown = () =>
    (closing ??= (async () => {
      shuttingDown = true;
      supervisor.closeQueue();
      const inFlight = () => supervisor.snapshots().reduce((n, w) => n + w.snapshot.context.inFlight, 0);
      if (inFlight() > 0) {
        logger.log('INFO', `shutting down: waiting up to ${config.drainTimeoutMs} ms for ${inFlight()} in-flight request(s)`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, config.drainTimeoutMs);
          const unsubscribe = supervisor.subscribe(() => inFlight() === 0 && done());
          function done() {
            clearTimeout(timer);
            unsubscribe();
            resolve();
          }
        });
      }
      await supervisor.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
      await audit?.close();
      lock.release();
      logger.log('INFO', 'lifeguard stopped: every worker process has ended');
    })());

  return { url, port, supervisor, shutdown };
}
