import type { ContextReport, ReadyInfo, ToolCallDelta, Usage } from '../driver.js';

/** A worker → lifeguard message of jsonl v1 that passed validation. */
export type WorkerMessage =
  | ({ type: 'ready' } & ReadyInfo)
  | { type: 'pong'; id: string }
  | { type: 'delta'; id: string; content: string; toolCalls: ToolCallDelta[] }
  | { type: 'done'; id: string; finishReason: string; usage: Usage; context: ContextReport | null }
  | { type: 'error'; id: string; message: string; retryable: boolean }
  | { type: 'heartbeat' };

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;

function parseContext(value: unknown): ContextReport | null {
  if (!isObject(value)) return null;
  if (!isCount(value.tokens) || !isCount(value.turns)) return null;
  return { tokens: value.tokens, turns: value.turns };
}

function parseLimits(value: unknown): ReadyInfo['limits'] {
  if (!isObject(value)) return undefined;
  const limits: NonNullable<ReadyInfo['limits']> = {};
  if (isCount(value.token_limit)) limits.tokenLimit = value.token_limit;
  if (isCount(value.turn_limit)) limits.turnLimit = value.turn_limit;
  return limits;
}

const optionalString = (value: unknown) => value === undefined || typeof value === 'string';

// v1.1: a delta's `tool_calls`, in OpenAI's streamed shape. Returns why they are invalid instead of throwing.
const NO_TOOL_CALLS: ToolCallDelta[] = [];

function parseToolCalls(value: unknown): ToolCallDelta[] | string {
  if (value === undefined || value === null) return NO_TOOL_CALLS;
  if (!Array.isArray(value)) return 'delta whose "tool_calls" is not an array';
  for (const call of value) {
    if (!isObject(call) || !Number.isInteger(call.index) || (call.index as number) < 0) return 'tool call without an integer "index"';
    const fn = call.function;
    if (!optionalString(call.id) || (fn !== undefined && (!isObject(fn) || !optionalString(fn.name) || !optionalString(fn.arguments)))) {
      return 'tool call whose "id", "function.name" or "function.arguments" is not a string';
    }
  }
  return value as ToolCallDelta[];
}

// Parses one line; returns the reason it is not a valid message instead of throwing.
export function parseWorkerLine(line: string): WorkerMessage | { invalid: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { invalid: 'not JSON' };
  }
  if (!isObject(value) || typeof value.type !== 'string') return { invalid: 'no "type" field' };
  const id = typeof value.id === 'string' ? value.id : null;
  switch (value.type) {
    case 'ready': {
      if (!Array.isArray(value.models) || !value.models.every((m) => typeof m === 'string')) {
        return { invalid: 'ready without a "models" array of strings' };
      }
      const ready: WorkerMessage = { type: 'ready', models: value.models as string[] };
      const limits = parseLimits(value.limits);
      if (limits) ready.limits = limits;
      if (isCount(value.max_concurrency) && value.max_concurrency >= 1) ready.maxConcurrency = Math.floor(value.max_concurrency);
      if (value.stateful === true) ready.stateful = true;
      return ready;
    }
    case 'pong':
      return id ? { type: 'pong', id } : { invalid: 'pong without "id"' };
    case 'delta': {
      const toolCalls = parseToolCalls(value.tool_calls);
      if (typeof toolCalls === 'string') return { invalid: toolCalls };
      const content = value.content ?? (toolCalls.length ? '' : undefined);
      if (!id || typeof content !== 'string') return { invalid: 'delta without "id" or string "content"' };
      return { type: 'delta', id, content, toolCalls };
    }
    case 'done': {
      if (!id) return { invalid: 'done without "id"' };
      const usage = isObject(value.usage) ? value.usage : {};
      return {
        type: 'done',
        id,
        finishReason: typeof value.finish_reason === 'string' ? value.finish_reason : 'stop',
        usage: {
          promptTokens: isCount(usage.prompt_tokens) ? usage.prompt_tokens : 0,
          completionTokens: isCount(usage.completion_tokens) ? usage.completion_tokens : 0,
        },
        context: parseContext(value.context),
      };
    }
    case 'error':
      if (!id) return { invalid: 'error without "id"' };
      return {
        type: 'error',
        id,
        message: typeof value.message === 'string' ? value.message : 'the worker reported an error',
        retryable: value.retryable === true,
      };
    case 'heartbeat':
      return { type: 'heartbeat' };
    default:
      return { invalid: `unknown type ${JSON.stringify(value.type).slice(0, 40)}` };
  }
}
