import { randomUUID } from 'node:crypto';
import { RequestCancelledError, WorkerCrashedError, WorkerRequestError } from '../../errors.js';
import type { SpawnSpec, WorkerProcess } from '../../process/worker-process.js';
import { AsyncQueue, type QueueObserver } from '../../util/async-queue.js';
import type { CancelSignal } from '../../util/cancellation.js';
import type { AnswerEvent, ChatRequestBody, ContextReport, ConversationTurn, Driver, SessionHooks, WorkerSession } from '../driver.js';
import { attachOutputLog } from '../output-log.js';
import { createLineSplitter } from './line-splitter.js';
import { parseWorkerLine } from './jsonl-messages.js';

export interface JsonlDriverOptions {
  spawn: SpawnSpec;
  /** A longer stdout line is logged as [WARN] and skipped. */
  maxLineBytes: number;
}

interface PendingAnswer {
  queue: AsyncQueue<AnswerEvent>;
  started: boolean;
  /** A whole answer is wanted (not a stream): consecutive text deltas of one read are one event. */
  whole: boolean;
  /** Text of this read's deltas not yet queued (whole answers only). */
  text: string | null;
}

/** The request id an over-long line's first bytes give (`"id":"…"` as a key), or null. */
export function lineId(head: string): string | null {
  const match = /[{,]\s*"id"\s*:\s*"((?:[^"\\]|\\.){1,256})"/.exec(head);
  if (!match) return null;
  try {
    return JSON.parse(`"${match[1]}"`) as string;
  } catch {
    return null;
  }
}

// jsonl v1 (docs/protocol.md): one JSON object per line each way; stderr is logged, never parsed.
export function createJsonlDriver(options: JsonlDriverOptions): Driver {
  return {
    name: 'jsonl',
    spawnSpec: () => options.spawn,
    attach: (worker, hooks) => attachJsonlSession(worker, hooks, options.maxLineBytes),
  };
}

function attachJsonlSession(worker: WorkerProcess, hooks: SessionHooks, maxLineBytes: number): WorkerSession {
  const { logger, workerId } = hooks;
  const pid = worker.pid;
  const answers = new Map<string, PendingAnswer>();
  // Requests lifeguard cancelled: what the worker still says about them is expected, not a warning.
  const cancelled = new Set<string>();
  const probes = new Map<string, () => void>();
  let ready = false;
  let closed: string | null = null;
  // One read of the worker's stdout is delivered in order once it is parsed: its latest context report
  // (the machine learns it once per read), the text of whole answers, then each answer's end — so no
  // answer ends (and frees its worker) before the machine knows the context it left.
  let reported: ContextReport | null = null;
  let texts: PendingAnswer[] = [];
  let endings: Array<{ pending: PendingAnswer; done: AnswerEvent } | { pending: PendingAnswer; error: Error }> = [];
  const queueText = (pending: PendingAnswer) => {
    if (pending.text === null) return;
    pending.queue.push({ type: 'delta', content: pending.text });
    pending.text = null;
  };

  // Lines written in one turn of the event loop reach the worker's stdin as one write.
  let outgoing: string[] = [];
  const writeOut = () => {
    const text = outgoing.join('');
    outgoing = [];
    if (closed || !worker.stdin || worker.stdin.destroyed) return;
    worker.stdin.write(text);
  };
  const write = (message: object) => {
    if (closed) return;
    if (outgoing.push(`${JSON.stringify(message)}\n`) === 1) setImmediate(writeOut);
  };

  const warn = (message: string) => logger.log('WARN', message, { worker: workerId, pid });

  const onLine = (line: string) => {
    if (!line.trim()) return;
    const message = parseWorkerLine(line);
    if ('invalid' in message) return warn(`ignored an invalid line from the worker (${message.invalid}): ${line.slice(0, 120)}`);
    switch (message.type) {
      case 'ready':
        if (ready) return warn('ignored a second ready message');
        ready = true;
        return hooks.ready(message);
      case 'pong':
        probes.get(message.id)?.();
        return;
      case 'heartbeat':
        return;
      case 'delta': {
        const pending = answers.get(message.id);
        if (!pending) return cancelled.has(message.id) ? undefined : warn(`delta for unknown request ${message.id}`);
        pending.started = true;
        if (message.toolCalls.length === 0 && pending.whole) {
          if (pending.text === null) texts.push(pending);
          pending.text = (pending.text ?? '') + message.content;
          return;
        }
        queueText(pending);
        if (message.content || message.toolCalls.length === 0) pending.queue.push({ type: 'delta', content: message.content });
        for (const call of message.toolCalls) pending.queue.push({ type: 'tool_call', call });
        return;
      }
      case 'done': {
        const pending = answers.get(message.id);
        if (!pending && cancelled.delete(message.id)) return;
        if (!pending) return warn(`done for unknown request ${message.id}`);
        answers.delete(message.id);
        if (message.context) reported = message.context;
        endings.push({ pending, done: { type: 'done', finishReason: message.finishReason, usage: message.usage, context: message.context } });
        return;
      }
      case 'error': {
        const pending = answers.get(message.id);
        if (!pending && cancelled.delete(message.id)) return;
        if (!pending) return warn(`error for unknown request ${message.id}`);
        answers.delete(message.id);
        endings.push({ pending, error: new WorkerRequestError(`The worker failed the request: ${message.message}`, message.retryable) });
      }
    }
  };

  // An answer's line lifeguard cannot read leaves that answer incomplete: it fails with a clear error
  // (never a 200 with the text missing) and the worker is told to stop. The line's id, when its first
  // bytes name one, says whose; a JSON object without an id in its first bytes may be any answer in
  // progress, and all fail; a line that is not JSON at all is junk, skipped like any garbage line.
  const overlong = (bytes: number, head: string) => {
    const id = lineId(head);
    warn(`skipped a stdout line longer than ${maxLineBytes} bytes (${bytes}+ bytes${id === null ? '' : ` for request ${id}`})`);
    const victims = id !== null ? (answers.has(id) ? [id] : []) : head.trimStart().startsWith('{') ? [...answers.keys()] : [];
    for (const victim of victims) {
      const pending = answers.get(victim)!;
      answers.delete(victim);
      cancelled.add(victim);
      write({ type: 'cancel', id: victim });
      const message = `The worker sent a stdout line of more than ${maxLineBytes} bytes (max_line_bytes)${id === null ? ' while answering this request' : ' for this request'}; lifeguard cannot read it, so the answer would be incomplete`;
      endings.push({ pending, error: new WorkerRequestError(message, false) });
    }
  };
  const splitter = createLineSplitter(maxLineBytes, onLine, overlong);
  const afterRead = () => {
    if (reported) hooks.context(reported);
    reported = null;
    for (const pending of texts) queueText(pending);
    texts = [];
    for (const ending of endings) {
      queueText(ending.pending);
      if ('error' in ending) {
        ending.pending.queue.fail(ending.error);
      } else {
        ending.pending.queue.push(ending.done);
        ending.pending.queue.end();
      }
    }
    endings = [];
  };
  // Any output is the worker's activity (the machine's wedge watch), once per read.
  worker.stdout?.on('data', (chunk: Buffer) => {
    hooks.activity();
    splitter.push(chunk);
    afterRead();
  });
  worker.stdout?.on('end', () => {
    splitter.flush();
    afterRead();
  });
  attachOutputLog(worker, hooks);

  return {
    probe(timeoutMs) {
      const id = `probe-${randomUUID()}`;
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          probes.delete(id);
          reject(new Error(`no pong within ${timeoutMs} ms`));
        }, timeoutMs);
        probes.set(id, () => {
          clearTimeout(timer);
          probes.delete(id);
          resolve();
        });
        write({ type: 'ping', id });
      });
    },
    answer(requestId: string, body: ChatRequestBody, signal: CancelSignal, turn?: ConversationTurn, observer?: QueueObserver<AnswerEvent>) {
      const pending: PendingAnswer = { queue: new AsyncQueue(observer), started: false, whole: body.stream !== true, text: null };
      if (closed) {
        pending.queue.fail(new WorkerCrashedError(workerId, false, closed));
        return pending.queue;
      }
      answers.set(requestId, pending);
      const onAbort = () => {
        if (!answers.has(requestId)) return;
        cancelled.add(requestId);
        write({ type: 'cancel', id: requestId });
        answers.delete(requestId);
        pending.queue.fail(new RequestCancelledError('The request was cancelled'));
      };
      signal.onAbort(onAbort);
      // jsonl v1.1: a stateful worker that holds the conversation gets only the new messages.
      if (turn?.continues) write({ type: 'request', id: requestId, continues: true, body: { ...body, messages: turn.messages } });
      else write({ type: 'request', id: requestId, body });
      return pending.queue;
    },
    shutdown() {
      write({ type: 'shutdown' });
    },
    close(detail) {
      if (closed) return;
      closed = detail;
      for (const [, pending] of answers) pending.queue.fail(new WorkerCrashedError(workerId, pending.started, detail));
      answers.clear();
    },
  };
}
