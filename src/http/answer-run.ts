import type { Context } from 'hono';
import type { ChatRequestBody } from '../drivers/driver.js';
import { LifeguardError, RequestTimeoutError } from '../errors.js';
import type { Dispatch, DispatchFn, DispatchOptions } from '../supervisor/supervisor.js';
import { Cancellation, type CancelSignal } from '../util/cancellation.js';
import { ClientDisconnectedError, onClientGone } from './client-gone.js';
import { requestHeader } from './incoming.js';
import { requestFacts, type RequestFacts } from './request-facts.js';

/** A timer may fire a little before its time as performance.now() sees it. */
const TIMER_SLACK_MS = 1;

export interface AnswerRunLimits {
  requestTimeoutMs: number;
  /** Longest silence between two answer events once a worker holds the request. */
  idleTimeoutMs: number;
  /** Tells the gateway about a request in progress (shutdown cancels it with a reason). */
  track?(cancellation: Cancellation): () => void;
}

// One request on its way through the answer core: its cancellation (the client gone, a timeout, a
// shutdown, a slow client), its two time limits on one timer, and the worker that holds it. Two
// limits: the request may take requestTimeoutMs end to end (Hono's timeout middleware does not bound
// a stream); once a worker holds it, silence from the worker for idleTimeoutMs ends it even when the
// worker still sends heartbeats — such a worker is wedged and is restarted. An answer event only
// notes its time; the timer, when it fires, looks at both.
export class AnswerRun {
  readonly cancellation = new Cancellation();
  readonly facts: RequestFacts;
  readonly #limits: AnswerRunLimits;
  readonly #options: DispatchOptions;
  readonly #startedAt = performance.now();
  #lastEventAt = 0;
  #holder: Dispatch | null = null;
  #finished = false;
  #timer: NodeJS.Timeout;
  readonly #untrack: (() => void) | undefined;
  readonly #stopWatching: () => void;

  constructor(
    c: Context,
    limits: AnswerRunLimits,
    private readonly inner: DispatchFn,
  ) {
    this.#limits = limits;
    this.facts = requestFacts(c);
    this.#untrack = limits.track?.(this.cancellation);
    this.#stopWatching = onClientGone(c, this.#clientGone);
    // X-Session-Id names the conversation (docs/architecture.md#conversations-and-the-pool), whichever API the request came through;
    // prompt_cache_key in the body does too.
    this.#options = { sessionKey: requestHeader(c, 'x-session-id') ?? null, onEvent: this.#onEvent, ...(this.facts.tenant ? { tenant: this.facts.tenant } : {}) };
    this.#timer = setTimeout(this.#watch, Math.min(limits.requestTimeoutMs, limits.idleTimeoutMs));
  }

  /** The gateway's dispatch for this request: its routing options, and the worker watched from here on. */
  readonly dispatch = (body: ChatRequestBody, signal: CancelSignal, avoid?: { workerId: string; run: number }): Promise<Dispatch> =>
    this.inner(body, signal, avoid, this.#options).then(this.#hold);

  readonly #hold = (dispatch: Dispatch): Dispatch => {
    this.facts.worker = dispatch.workerId;
    this.#holder = dispatch;
    this.#onEvent();
    // The idle limit starts now: a timer that fired while the request waited for a worker was re-armed
    // for the end-to-end limit alone, and would never look at the silence.
    if (!this.#finished) {
      clearTimeout(this.#timer);
      this.#watch();
    }
    return dispatch;
  };

  /** The error the client sees: why the request was cancelled (a timeout, a shutdown, …), if it was. */
  failure(error: unknown): unknown {
    const { aborted, reason } = this.cancellation;
    return aborted && reason instanceof LifeguardError ? reason : error;
  }

  /** The request is over: no timer, no watching, no tracking. */
  finish(): void {
    this.#finished = true;
    clearTimeout(this.#timer);
    this.#stopWatching();
    this.#untrack?.();
  }

  readonly #clientGone = () => this.cancellation.abort(new ClientDisconnectedError());

  readonly #onEvent = () => {
    this.#lastEventAt = performance.now();
  };

  readonly #watch = () => {
    const { requestTimeoutMs, idleTimeoutMs } = this.#limits;
    const now = performance.now() + TIMER_SLACK_MS;
    if (now - this.#startedAt >= requestTimeoutMs) {
      this.cancellation.abort(new RequestTimeoutError(`The request took longer than ${requestTimeoutMs} ms`));
    } else if (this.#holder && now - this.#lastEventAt >= idleTimeoutMs) {
      this.cancellation.abort(new RequestTimeoutError(`The worker sent nothing for ${idleTimeoutMs} ms`));
      this.#holder.stalled();
    } else {
      const due = Math.min(this.#startedAt + requestTimeoutMs, this.#holder ? this.#lastEventAt + idleTimeoutMs : Number.POSITIVE_INFINITY);
      this.#timer = setTimeout(this.#watch, due - now);
    }
  };
}
