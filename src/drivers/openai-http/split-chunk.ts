import type { PassThrough, ToolCallDelta } from '../driver.js';

type Json = Record<string, unknown>;

const CHUNK_FIELDS = new Set(['id', 'object', 'created', 'model', 'choices', 'usage']);
const CHOICE_FIELDS = new Set(['index', 'delta', 'finish_reason']);
const DELTA_FIELDS = new Set(['role', 'content', 'tool_calls']);

const rest = (object: Json, known: Set<string>): Json | undefined => {
  const entries = Object.entries(object).filter(([key, value]) => !known.has(key) && value !== null && value !== undefined);
  return entries.length ? Object.fromEntries(entries) : undefined;
};

// One streamed chat chunk from an upstream server → what lifeguard models (content, tool-call deltas)
// and everything else it sent, kept level by level so the chat surface passes it on unchanged.
export function splitChunk(chunk: Json, choice: Json): { content: string; toolCalls: ToolCallDelta[]; passThrough: PassThrough | undefined } {
  const delta = (typeof choice.delta === 'object' && choice.delta !== null ? choice.delta : {}) as Json;
  const passThrough: PassThrough = {};
  const levels = { chunk: rest(chunk, CHUNK_FIELDS), choice: rest(choice, CHOICE_FIELDS), delta: rest(delta, DELTA_FIELDS) };
  for (const [level, fields] of Object.entries(levels) as Array<[keyof PassThrough, Json | undefined]>) if (fields) passThrough[level] = fields;
  const toolCalls = Array.isArray(delta.tool_calls) ? (delta.tool_calls as ToolCallDelta[]).filter((call) => Number.isInteger(call?.index)) : [];
  return {
    content: typeof delta.content === 'string' ? delta.content : '',
    toolCalls,
    passThrough: Object.keys(passThrough).length ? passThrough : undefined,
  };
}
