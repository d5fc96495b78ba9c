import { stderrSink } from './stderr-sink.js';

export type LogFormat = 'text' | 'json';
export type LogMarker = 'RESTART' | 'RECOVERY' | 'PROACTIVE' | 'OFFLINE' | 'WARN' | 'ERROR' | 'DONE' | 'INFO' | 'STDERR' | 'STDOUT' | 'DEBUG';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(marker: LogMarker, message: string, fields?: Record<string, unknown>): void;
}

/** Each marker's standard level: what a log pipeline filters on (the marker stays greppable). */
export const levelOf: Record<LogMarker, LogLevel> = {
  DEBUG: 'debug',
  INFO: 'info',
  DONE: 'info',
  PROACTIVE: 'info',
  RESTART: 'info',
  STDERR: 'info',
  STDOUT: 'info',
  RECOVERY: 'warn',
  WARN: 'warn',
  OFFLINE: 'error',
  ERROR: 'error',
};

// One line per event: `[MARKER] message key=value …` for people, or one JSON object per line with
// `level` (debug, info, warn, error) and `marker` as fields of their own. By default to stderr
// through a sink that never throws and never blocks (stderr-sink.ts).
// Lines of the same millisecond share one timestamp string (a busy gateway writes several a millisecond).
let stampedAt = -1;
let stamp = '';
function timestamp(): string {
  const now = Date.now();
  if (now !== stampedAt) {
    stampedAt = now;
    stamp = new Date(now).toISOString();
  }
  return stamp;
}

export function createLogger(format: LogFormat = 'text', write: (line: string) => void = (l) => stderrSink().write(l)): Logger {
  return {
    log(marker, message, fields = {}) {
      const ts = timestamp();
      if (format === 'json') {
        const { ts: _ts, level: _level, marker: _marker, msg: _msg, ...rest } = fields;
        write(`${JSON.stringify({ ts, level: levelOf[marker], marker, msg: message, ...rest })}\n`);
        return;
      }
      let line = `${ts} [${marker}] ${message}`;
      for (const key in fields) {
        const value = fields[key];
        if (value !== undefined && value !== null) line += ` ${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`;
      }
      write(`${line}\n`);
    },
  };
}

export const silentLogger: Logger = { log: () => undefined };
