import { randomUUID } from 'node:crypto';
import type { AnswerEvent, PassThrough, Usage } from '../drivers/driver.js';

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
  passThrough: Required<PassThrough>;
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
export function createAnswerCollector() {
  let content = '';
  const calls = new Map<number, CollectedToolCall>();
  const passThrough: Required<PassThrough> = { chunk: {}, choice: {}, delta: {} };
  let done: Extract<AnswerEvent, { type: 'done' }> | null = null;

  const add = (event: AnswerEvent) => {
    if (event.passThrough) {
      mergeInto(passThrough.chunk, event.passThrough.chunk, false);
      mergeInto(passThrough.choice, event.passThrough.choice, false);
      mergeInto(passThrough.delta, event.passThrough.delta, true);
    }
    if (event.type === 'delta') {
      content += event.content;
    } else if (event.type === 'tool_call') {
      const { index, id, type: _type, function: fn, ...rest } = event.call;
      const call = calls.get(index) ?? { id: '', type: 'function' as const, function: { name: '', arguments: '' } };
      Object.assign(call, rest);
      if (id && !call.id) call.id = id;
      if (fn?.name && !call.function.name) call.function.name = fn.name;
      call.function.arguments += fn?.arguments ?? '';
      calls.set(index, call);
    } else {
      done = event;
    }
  };

  const result = (): CollectedAnswer | null => {
    const finished = done as Extract<AnswerEvent, { type: 'done' }> | null;
    if (!finished) return null;
    const toolCalls = [...calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => ({ ...call, id: call.id || `call_${randomUUID().replaceAll('-', '')}` }));
    return { content, toolCalls, finishReason: finished.finishReason, usage: finished.usage, passThrough };
  };

  return { add, result, hasContent: () => content.length > 0 || calls.size > 0 };
}

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
