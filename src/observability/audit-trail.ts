import { createWriteStream } from 'node:fs';
import type { Supervisor, SupervisorEvent } from '../supervisor/supervisor.js';
import type { Logger } from '../util/logger.js';

export type AuditRecord = { event: string; ts: string; worker: string } & Record<string, unknown>;

// The audit record (snake_case) of a supervisor event, or null when it is not a lifecycle event.
export function auditRecordOf(event: SupervisorEvent, now: Date = new Date()): AuditRecord | null {
  const base = { ts: now.toISOString(), worker: event.workerId };
  switch (event.type) {
    case 'spawned':
      return { event: 'worker_spawned', ...base, pid: event.pid, run: event.run };
    case 'ready':
      return { event: 'worker_ready', ...base, pid: event.pid, run: event.run, models: event.models };
    case 'transition': {
      const { context } = event.snapshot;
      // Why a worker is leaving service is its restart reason; why it moved on otherwise is the reason.
      const leaving = event.to === 'draining' || event.to === 'restarting' || event.to === 'recovering';
      return { event: 'transition', ...base, from: event.from, to: event.to, reason: leaving ? (context.restartReason ?? context.reason) : context.reason };
    }
    case 'lifecycle': {
      const e = event.event;
      switch (e.type) {
        case 'exit.recorded':
          return {
            event: 'worker_exited',
            ...base,
            code: e.exit.code,
            signal: e.exit.signal,
            class: e.exit.class,
            error: e.exit.error,
            run_duration_ms: e.exit.runDurationMs,
            crash_count: e.crashCount,
            consecutive_failures: e.consecutiveFailures,
          };
        case 'backoff.scheduled':
          return { event: 'backoff', ...base, ms: e.ms, reason: e.reason, failures: e.failures };
        case 'health.warned':
          return { event: 'health_warn', ...base, reason: e.reason, count: e.count };
        case 'offline.entered':
          return { event: 'offline', ...base, reason: e.reason };
        case 'run.began':
          return null;
      }
      return null;
    }
    default:
      return null;
  }
}

// Appends one JSON line per lifecycle event. Each line is one write to an O_APPEND stream, so lines
// never interleave; a write error is logged once and supervision goes on without the trail.
export function attachAuditTrail(supervisor: Pick<Supervisor, 'subscribe'>, path: string, logger: Logger): { close(): Promise<void> } {
  const stream = createWriteStream(path, { flags: 'a' });
  let broken = false;
  stream.on('error', (error) => {
    if (broken) return;
    broken = true;
    logger.log('ERROR', `audit trail ${path} cannot be written (${error.message}); supervision continues without it`);
  });
  const unsubscribe = supervisor.subscribe((event) => {
    if (broken) return;
    const record = auditRecordOf(event);
    if (record) stream.write(`${JSON.stringify(record)}\n`);
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        unsubscribe();
        if (broken || stream.destroyed) return resolve();
        stream.end(() => resolve());
      }),
  };
}
