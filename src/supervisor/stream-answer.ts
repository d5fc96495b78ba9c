import type { AnswerEvent, ChatRequestBody, ConversationTurn, WorkerSession } from '../drivers/driver.js';
import { WorkerCrashedError } from '../errors.js';
import { AnswerDigest } from '../conversations/conversation-digest.js';
import type { QueueObserver } from '../util/async-queue.js';
import type { CancelSignal } from '../util/cancellation.js';

/** A dispatch's hold on the worker that took it. */
export interface AnswerLease {
  /** The session of the run that took the request, or null when its process is already gone. */
  session(): WorkerSession | null;
  /** The conversation's digest after the answer, once it is done: the pool remembers the conversation. */
  answered(answer: AnswerDigest): void;
  /** Gives the lease back (exactly once, however the answer ends). */
  finish(ok: boolean): void;
  /** The gateway saw no answer event for its idle timeout: the worker is wedged. */
  stalled(): void;
}

export interface StreamAnswerOptions {
  workerId: string;
  requestId: string;
  body: ChatRequestBody;
  signal: CancelSignal;
  turn: ConversationTurn | undefined;
  /** The digest of the request's messages: the answer's digest continues it. */
  conversation: string;
  /** Called on every event of the answer as the worker gives it (the gateway's idle watch). */
  onEvent?: () => void;
}

// One answer's events as they come from the worker's session. The driver shows each event to this
// iterator (its QueueObserver) as it has it, before the consumer takes it: the text and tool calls
// are hashed as they pass for the conversation's digest (never kept whole), and the lease is given back at `done` (the worker is free
// from that moment), at a failure or an end without `done`, or when the consumer returns.
class AnswerIterator implements AsyncIterator<AnswerEvent>, QueueObserver<AnswerEvent> {
  #inner: AsyncIterator<AnswerEvent> | null = null;
  readonly #digest: AnswerDigest;

  constructor(
    private readonly lease: AnswerLease,
    private readonly options: StreamAnswerOptions,
  ) {
    this.#digest = new AnswerDigest(options.conversation);
  }

  next(): Promise<IteratorResult<AnswerEvent>> {
    if (!this.#inner) {
      const { options } = this;
      const session = this.lease.session();
      if (!session) {
        this.lease.finish(false);
        return Promise.reject(new WorkerCrashedError(options.workerId, false, 'exited'));
      }
      this.#inner = session.answer(options.requestId, options.body, options.signal, options.turn, this)[Symbol.asyncIterator]();
    }
    return this.#inner.next();
  }

  return(): Promise<IteratorResult<AnswerEvent>> {
    this.lease.finish(false);
    void this.#inner?.return?.();
    return Promise.resolve({ done: true, value: undefined });
  }

  pushed(event: AnswerEvent): void {
    this.options.onEvent?.();
    if (event.type !== 'done') this.#digest.add(event);
    else {
      this.lease.answered(this.#digest);
      this.lease.finish(true);
    }
  }

  settled(): void {
    this.lease.finish(false);
  }
}

// A worker's answer as an iterable whose return() gives the lease back even if iteration never began.
export function streamAnswer(lease: AnswerLease, options: StreamAnswerOptions): AsyncIterable<AnswerEvent> {
  let iterator: AnswerIterator | undefined;
  return { [Symbol.asyncIterator]: () => (iterator ??= new AnswerIterator(lease, options)) };
}
