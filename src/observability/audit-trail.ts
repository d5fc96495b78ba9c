import { constants, createWriteStream, openSync, type WriteStream } from 'node:fs';
import { isDescriptorExhaustion, reportDescriptorExhaustion } from '../util/descriptor-exhaustion.js';
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

const CLOSE_WAIT_MS = 2000;

// Appends one JSON line per lifecycle event. Each line is one write to an O_APPEND stream, so lines
// never interleave; a write error is logged once and supervision goes on without the trail. The file
// is opened non-blocking, so a FIFO nobody reads fails at once (ENXIO) instead of hanging lifeguard.
export function attachAuditTrail(supervisor: Pick<Supervisor, 'subscribe'>, path: string, logger: Logger): { close(): Promise<void> } {
  let broken = false;
  const fail = (error: Error) => {
    if (broken) return;
    broken = true;
    if (isDescriptorExhaustion(error)) reportDescriptorExhaustion(logger, `the audit trail ${path}`, error);
    logger.log('ERROR', `audit trail ${path} cannot be written (${error.message}); supervision continues without it`);
    stream?.destroy();
  };
  let stream: WriteStream | null = null;
  try {
    const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK, 0o644);
    stream = createWriteStream('', { fd });
    stream.on('error', fail);
  } catch (error) {
    fail(error as Error);
  }
  const unsubscribe = supervisor.subscribe((event) => {
    if (broken) return;
    const record = auditRecordOf(event);
    if (record) stream?.write(`${JSON.stringify(record)}\n`);
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        unsubscribe();
        if (broken || !stream || stream.destroyed) return resolve();
        const open = stream;
        const timer = setTimeout(() => {
          open.destroy();
          resolve();
        }, CLOSE_WAIT_MS);
        open.end(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
