import { write as fsWrite } from 'node:fs';

export interface LineSink {
  write(line: string): void;
  /** Resolves once every queued line is written (or dropped), or after `timeoutMs`. */
  drained(timeoutMs: number): Promise<void>;
}

const RETRY_MS = 50;
/** Under a steady stream of lines, one write at most this often (a write to a pipe is a thread-pool job). */
const PACE_MS = 10;

// Log lines to a file descriptor that can never kill the process: writes are asynchronous and one at
// a time; a line alone goes at once, lines that keep coming go together at most every PACE_MS (one
// system call for many request lines); EAGAIN is retried; EPIPE/EBADF (the reader went away)
// silences the sink for good; a reader that stops reading makes lines queue up to `maxQueuedBytes`,
// then they are dropped and counted.
export function createFdSink(fd: number, maxQueuedBytes = 1024 * 1024): LineSink {
  const queue: Buffer[] = [];
  let queuedBytes = 0;
  let dropped = 0;
  let writing = false;
  let pacing = false;
  let lastWriteAt = Number.NEGATIVE_INFINITY;
  let broken = false;
  let waiters: Array<() => void> = [];

  const settle = () => {
    if (writing || pacing || queue.length > 0) return;
    for (const resolve of waiters) resolve();
    waiters = [];
  };

  const paced = () => {
    pacing = false;
    next();
  };

  const next = () => {
    if (broken || writing || pacing) return settle();
    if (dropped > 0 && queue.length === 0) {
      queue.push(Buffer.from(`[WARN] ${dropped} log line(s) dropped: the log reader was not keeping up\n`));
      dropped = 0;
    }
    if (queue.length === 0) return settle();
    const wait = lastWriteAt + PACE_MS - performance.now();
    if (wait > 0) {
      pacing = true;
      setTimeout(paced, wait);
      return;
    }
    lastWriteAt = performance.now();
    const line = queue.length === 1 ? queue[0]! : Buffer.concat(queue);
    queue.length = 0;
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
      if (broken || (!writing && !pacing && queue.length === 0)) return Promise.resolve();
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
