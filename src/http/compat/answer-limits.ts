import type { AnswerEvent, ChatRequestBody } from '../../drivers/driver.js';
import { RequestCancelledError } from '../../errors.js';
import { Cancellation, type CancelSignal } from '../../util/cancellation.js';
import type { Dispatch, DispatchFn } from '../../supervisor/supervisor.js';
import { StopCutter } from './stop-cutter.js';

/** Which limits lifeguard applies itself for a driver (the rest its worker applies). */
export interface LimitEnforcement {
  stop: boolean;
  maxTokens: boolean;
}

/** lifeguard's own count: about 4 characters a token (an approximation; the worker's tokenizer is not known here). */
export const CHARS_PER_TOKEN = 4;

// jsonl workers get stop and max_tokens in the body (the reference worker obeys both); lifeguard cuts
// at a stop sequence too, as nothing says a worker does. claude-code's CLI takes neither: lifeguard
// applies both. An openai-http server applies both itself.
export function enforcementFor(driver: string): LimitEnforcement {
  if (driver === 'openai-http') return { stop: false, maxTokens: false };
  return { stop: true, maxTokens: driver === 'claude-code' };
}

/** The request's stop sequences (`stop`: a string or an array) and its token limit, as one pair. */
export function limitsOf(body: ChatRequestBody): { stops: string[]; maxTokens: number | null } {
  const stop = body.stop;
  const stops = typeof stop === 'string' ? [stop] : Array.isArray(stop) ? stop.filter((s): s is string => typeof s === 'string') : [];
  const max = body.max_completion_tokens ?? body.max_tokens;
  return { stops, maxTokens: typeof max === 'number' && Number.isInteger(max) && max > 0 ? max : null };
}

const estimate = (chars: number) => Math.ceil(chars / CHARS_PER_TOKEN);

// The answer cut by the cutter. At a cut the worker's turn is interrupted (its signal aborted, the
// lease given back) and the answer ends with lifeguard's own `done`: `stop` with the sequence, or `length`.
async function* limitedAnswer(first: Dispatch, body: ChatRequestBody, cutter: StopCutter, interrupt: () => void): AsyncGenerator<AnswerEvent> {
  const iterator = first.events[Symbol.asyncIterator]();
  let chars = 0;
  try {
    for (let result = await iterator.next(); !result.done; result = await iterator.next()) {
      const event = result.value;
      const cut = event.type === 'delta' ? cutter.push(event.content) : cutter.flush();
      chars += cut.text.length;
      if (cut.text) yield { type: 'delta', content: cut.text, ...(event.type === 'delta' && event.passThrough ? { passThrough: event.passThrough } : {}) };
      if (cut.reason) {
        interrupt();
        const promptTokens = estimate(JSON.stringify(body.messages ?? []).length);
        yield {
          type: 'done',
          finishReason: cut.reason.kind,
          usage: { promptTokens, completionTokens: estimate(chars) },
          context: null,
          ...(cut.reason.kind === 'stop' ? { stopSequence: cut.reason.sequence } : {}),
        };
        return;
      }
      if (event.type !== 'delta') {
        yield event;
        if (event.type === 'done') return;
      }
    }
  } finally {
    await iterator.return?.();
  }
}

// Wraps a dispatch so that the request's `stop` and token limit hold whatever the worker does
// (docs/http-api.md): the text is cut before the first stop sequence (even one split across deltas) and at
// max_tokens × 4 characters, and the worker's turn is interrupted there.
export function withAnswerLimits(dispatch: DispatchFn, enforce: LimitEnforcement | undefined): DispatchFn {
  if (!enforce || (!enforce.stop && !enforce.maxTokens)) return dispatch;
  // A request with nothing to cut (most) goes straight through: no wrapper, no extra promise.
  return (body, signal, avoid, options) => {
    const { stops, maxTokens } = limitsOf(body);
    const useStops = enforce.stop ? stops : [];
    const maxChars = enforce.maxTokens && maxTokens !== null ? maxTokens * CHARS_PER_TOKEN : Number.POSITIVE_INFINITY;
    if (useStops.length === 0 && maxChars === Number.POSITIVE_INFINITY) return dispatch(body, signal, avoid, options);
    return limitedDispatch(dispatch, { body, signal, avoid, options }, new StopCutter(useStops, maxChars));
  };
}

type DispatchCall = { body: ChatRequestBody; signal: CancelSignal; avoid: Parameters<DispatchFn>[2]; options: Parameters<DispatchFn>[3] };

// The dispatch under its own cancellation, its answer read through the cutter.
async function limitedDispatch(dispatch: DispatchFn, { body, signal, avoid, options }: DispatchCall, cutter: StopCutter): Promise<Dispatch> {
  const own = new Cancellation();
  const stopFollowing = signal.onAbort((reason) => own.abort(reason));
  const first = await dispatch(body, own as CancelSignal, avoid, options).catch((error: unknown) => {
    stopFollowing();
    throw error;
  });
  const interrupt = () => {
    stopFollowing();
    own.abort(new RequestCancelledError('The answer reached a stop sequence or its token limit'));
  };
  const events = limitedAnswer(first, body, cutter, interrupt);
  let started = false;
  const iterator: AsyncIterator<AnswerEvent> = {
    next: () => {
      started = true;
      return events.next();
    },
    // A return() before the first read still gives the worker's lease back.
    return: async () => {
      if (!started) await first.events[Symbol.asyncIterator]().return?.();
      return events.return(undefined);
    },
  };
  return { ...first, events: { [Symbol.asyncIterator]: () => iterator } };
}
