import { stderrSink } from './stderr-sink.js';

export type LogFormat = 'text' | 'json';
export type LogMarker = 'RESTART' | 'RECOVERY' | 'PROACTIVE' | 'OFFLINE' | 'WARN' | 'ERROR' | 'DONE' | 'INFO' | 'STDERR' | 'STDOUT';

export interface Logger {
  log(marker: LogMarker, message: string, fields?: Record<string, unknown>): void;
}

// One line per event: `[MARKER] message key=value …` for people, or one JSON object per line.
// By default to stderr through a sink that never throws and never blocks (stderr-sink.ts).
export function createLogger(format: LogFormat = 'text', write: (line: string) => void = (l) => stderrSink().write(l)): Logger {
  return {
    log(marker, message, fields = {}) {
      const ts = new Date().toISOString();
      if (format === 'json') {
        write(`${JSON.stringify({ ts, level: marker.toLowerCase(), msg: message, ...fields })}\n`);
        return;
      }
      const extra = Object.entries(fields)
        .filter(([, value]) => value !== undefined && value !== null)
        .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
        .join(' ');
      write(`${ts} [${marker}] ${message}${extra ? ` ${extra}` : ''}\n`);
    },
  };
}

export const silentLogger: Logger = { log: () => undefined };
