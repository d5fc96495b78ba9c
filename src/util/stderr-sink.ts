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
// system call, one buffer, for many request lines); EAGAIN is retried; EPIPE/EBADF (the reader went
// away) silences the sink for good; a reader that stops reading makes lines queue up to
// `maxQueuedBytes` (counted in characters, near enough), then they are dropped and counted.
export function createFdSink(fd: number, maxQueuedBytes = 1024 * 1024): LineSink {
  let queue: string[] = [];
  let queuedBytes = 0;
  /** What a partial or refused write left, written before anything queued after it. */
  let rest: Buffer | null = null;
  let dropped = 0;
  let writing = false;
  let pacing = false;
  let lastWriteAt = Number.NEGATIVE_INFINITY;
  let broken = false;
  let waiters: Array<() => void> = [];

  const idle = () => !writing && !pacing && rest === null && queue.length === 0;
  const settle = () => {
    if (!idle()) return;
    for (const resolve of waiters) resolve();
    waiters = [];
  };

  const paced = () => {
    pacing = false;
    next();
  };

  const next = () => {
    if (broken || writing || pacing) return settle();
    if (dropped > 0 && queue.length === 0 && rest === null) {
      queue.push(`[WARN] ${dropped} log line(s) dropped: the log reader was not keeping up\n`);
      dropped = 0;
    }
    if (rest === null && queue.length === 0) return settle();
    const wait = lastWriteAt + PACE_MS - performance.now();
    if (wait > 0) {
      pacing = true;
      setTimeout(paced, wait);
      return;
    }
    lastWriteAt = performance.now();
    let buffer: Buffer;
    if (rest !== null) {
      buffer = rest;
      rest = null;
    } else {
      const text = queue.length === 1 ? queue[0]! : queue.join('');
      queue = [];
      queuedBytes -= text.length;
      buffer = Buffer.from(text);
    }
    writing = true;
    fsWrite(fd, buffer, 0, buffer.length, null, (error, written) => {
      writing = false;
      if (error && error.code === 'EAGAIN') {
        rest = buffer;
        setTimeout(next, RETRY_MS).unref();
        return;
      }
      // A pipe may take part of a write: the rest goes first next time.
      if (!error && written < buffer.length) rest = buffer.subarray(written);
      if (error) {
        broken = true;
        queue = [];
        queuedBytes = 0;
        rest = null;
      }
      next();
    });
  };

  return {
    write(text) {
      if (broken) return;
      if (queuedBytes + text.length > maxQueuedBytes) {
        dropped += 1;
        return;
      }
      queue.push(text);
      queuedBytes += text.length;
      next();
    },
    drained(timeoutMs) {
      if (broken || idle()) return Promise.resolve();
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
