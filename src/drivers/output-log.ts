import type { Readable } from 'node:stream';
import type { WorkerProcess } from '../process/worker-process.js';
import type { SessionHooks } from './driver.js';
import { createLineSplitter } from './jsonl/line-splitter.js';

const MAX_LOG_LINE = 16 * 1024;

// A worker's log output (its stderr, or a model server's stdout), line by line, tagged with its
// worker id and its own pid, so that the last words of a killed process are never mistaken for
// errors of its replacement.
export function attachOutputLog(worker: WorkerProcess, hooks: SessionHooks, stream: 'stderr' | 'stdout' = 'stderr'): void {
  const fields = { worker: hooks.workerId, pid: worker.pid };
  const marker = stream === 'stderr' ? 'STDERR' : 'STDOUT';
  const splitter = createLineSplitter(
    MAX_LOG_LINE,
    (line) => {
      if (line.trim()) hooks.logger.log(marker, line, fields);
    },
    (bytes) => hooks.logger.log('WARN', `skipped a ${stream} line longer than ${MAX_LOG_LINE} bytes (${bytes}+)`, fields),
  );
  const source: Readable | null = worker[stream];
  source?.on('data', (chunk: Buffer) => splitter.push(chunk));
  source?.on('end', () => splitter.flush());
}
