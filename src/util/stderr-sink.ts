import { write as fsWrite } from 'node:fs';

export interface LineSink {
  write(line: string): void;
  /** Resolves once every queued line is written (or dropped), or after `timeoutMs`. */
  drained(timeoutMs: number): Promise<void>;
}

const RETRY_MS = 50;

// Log lines to a file descriptor that can never kill the process: writes are asynchronous and one at
// a time; EAGAIN is retried; EPIPE/EBADF (the reader went away) silences the sink for good; a reader
// that stops reading makes lines queue up to `maxQueuedBytes`, then they are dropped and counted.
export function createFdSink(fd: number, maxQueuedBytes = 1024 * 1024): LineSink {
  const queue: Buffer[] = [];
  let queuedBytes = 0;
  let dropped = 0;
  let writing = false;
  let broken = false;
  let waiters: Array<() => void> = [];

  const settle = () => {
    if (writing || queue.length > 0) return;
    for (const resolve of waiters) resolve();
    waiters = [];
  };

  const next = () => {
    if (broken || writing) return settle();
    if (dropped > 0 && queue.length === 0) {
      queue.push(Buffer.from(`[WARN] ${dropped} log line(s) dropped: the log reader was not keeping up\n`));
      dropped = 0;
    }
    const line = queue.shift();
    if (line === undefined) return settle();
    writing = true;
    fsWrite(fd, line, 0, line.length, null, (error, written) => {
      writing = false;
      if (error && error.code === 'EAGAIN') {
        queue.unshift(line);
        setTimeout(next, RETRY_MS).unref();
        return;
      }
      // A pipe may take part of a line: the rest goes first next time.
      if (!error && written < line.length) {
        queue.unshift(line.subarray(written));
        queuedBytes -= written;
        return next();
      }
      queuedBytes -= line.length;
      if (error) {
        broken = true;
        queue.length = 0;
        queuedBytes = 0;
      }
      next();
    });
  };

  return {
    write(text) {
      if (broken) return;
      const line = Buffer.from(text);
      if (queuedBytes + line.length > maxQueuedBytes) {
        dropped += 1;
        return;
      }
      queue.push(line);
      queuedBytes += line.length;
      next();
    },
    drained(timeoutMs) {
      if (broken || (!writing && queue.length === 0)) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        timer.unref();
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}

let stderr: LineSink | null = null;

/** lifeguard's stderr as a LineSink (one for the process). */
export const stderrSink = (): LineSink => (stderr ??= createFdSink(2));
