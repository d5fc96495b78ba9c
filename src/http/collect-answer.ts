import { randomUUID } from 'node:crypto';
import type { AnswerEvent, ContextReport, PassThrough, Usage } from '../drivers/driver.js';

type Json = Record<string, unknown>;

export interface CollectedToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
  [key: string]: unknown;
}

/** A whole answer, folded from its events: what every non-streaming renderer starts from. */
export interface CollectedAnswer {
  content: string;
  toolCalls: CollectedToolCall[];
  finishReason: string;
  usage: Usage;
  /** The worker's context report that came with `done`. */
  context: ContextReport | null;
  passThrough: Required<PassThrough>;
  /** The stop sequence the answer was cut at, if it was. */
  stopSequence?: string;
}

const isPlainObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

// Folds a later piece into what came before: arrays concatenate (logprobs), objects merge key by key,
// strings concatenate when `appendStrings` (a delta's `refusal`, `reasoning_content`), else the later wins.
function mergeInto(target: Json, piece: Json | undefined, appendStrings: boolean): void {
  if (!piece) return;
  for (const [key, value] of Object.entries(piece)) {
    const before = target[key];
    if (Array.isArray(before) && Array.isArray(value)) target[key] = [...before, ...value];
    else if (isPlainObject(before) && isPlainObject(value)) mergeInto(before, value, appendStrings);
    else if (appendStrings && typeof before === 'string' && typeof value === 'string') target[key] = before + value;
    else if (value !== null || before === undefined) target[key] = isPlainObject(value) ? structuredClone(value) : value;
  }
}

// Folds the answer's events as they come; `result()` is the whole answer once `done` arrived.
class AnswerCollector {
  #content = '';
  #calls: Map<number, CollectedToolCall> | null = null;
  readonly #passThrough: Required<PassThrough> = { chunk: {}, choice: {}, delta: {} };
  #done: Extract<AnswerEvent, { type: 'done' }> | null = null;

  add(event: AnswerEvent): void {
    if (event.passThrough) {
      mergeInto(this.#passThrough.chunk, event.passThrough.chunk, false);
      mergeInto(this.#passThrough.choice, event.passThrough.choice, false);
      mergeInto(this.#passThrough.delta, event.passThrough.delta, true);
    }
    if (event.type === 'delta') {
      this.#content += event.content;
    } else if (event.type === 'tool_call') {
      const { index, id, type: _type, function: fn, ...rest } = event.call;
      const calls = (this.#calls ??= new Map());
      const call = calls.get(index) ?? { id: '', type: 'function' as const, function: { name: '', arguments: '' } };
      Object.assign(call, rest);
      if (id && !call.id) call.id = id;
      if (fn?.name && !call.function.name) call.function.name = fn.name;
      call.function.arguments += fn?.arguments ?? '';
      calls.set(index, call);
    } else {
      this.#done = event;
    }
  }

  result(): CollectedAnswer | null {
    const done = this.#done;
    if (!done) return null;
    const calls = this.#calls ? [...this.#calls.entries()].sort(([a], [b]) => a - b) : [];
    const toolCalls = calls.map(([, call]) => ({ ...call, id: call.id || `call_${randomUUID().replaceAll('-', '')}` }));
    return { content: this.#content, toolCalls, finishReason: done.finishReason, usage: done.usage, context: done.context, passThrough: this.#passThrough, ...(done.stopSequence !== undefined ? { stopSequence: done.stopSequence } : {}) };
  }

  hasContent(): boolean {
    return this.#content.length > 0 || (this.#calls?.size ?? 0) > 0;
  }
}

export const createAnswerCollector = () => new AnswerCollector();

/** OpenAI's usage object: the upstream's own (with its details) when there is one. */
export const chatUsage = (usage: Usage) => ({
  prompt_tokens: usage.promptTokens,
  completion_tokens: usage.completionTokens,
  total_tokens: usage.promptTokens + usage.completionTokens,
  ...usage.raw,
});

/** A tool call's arguments as an object (Anthropic's `input`); text that is not a JSON object is kept under `_raw`. */
export function argumentsObject(text: string): Json {
  if (!text.trim()) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return isPlainObject(parsed) ? parsed : { _raw: text };
  } catch {
    return { _raw: text };
  }
}
