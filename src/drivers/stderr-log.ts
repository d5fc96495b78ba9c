import type { WorkerProcess } from '../process/worker-process.js';
import type { SessionHooks } from './driver.js';
import { createLineSplitter } from './jsonl/line-splitter.js';

const MAX_STDERR_LINE = 16 * 1024;

// The worker's stderr, line by line, tagged with its worker id and its own pid, so that the last
// words of a killed process are never mistaken for errors of its replacement.
export function attachStderrLog(worker: WorkerProcess, hooks: SessionHooks): void {
  const fields = { worker: hooks.workerId, pid: worker.pid };
  const splitter = createLineSplitter(
    MAX_STDERR_LINE,
    (line) => {
      if (line.trim()) hooks.logger.log('STDERR', line, fields);
    },
    (bytes) => hooks.logger.log('WARN', `skipped a stderr line longer than ${MAX_STDERR_LINE} bytes (${bytes}+)`, fields),
  );
  worker.stderr?.on('data', (chunk: Buffer) => splitter.push(chunk));
  worker.stderr?.on('end', () => splitter.flush());
}
