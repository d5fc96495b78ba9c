import { hash } from 'node:crypto';
import type { ChatMessage } from '../drivers/driver.js';

/** A tool call as the assistant made it (OpenAI's shape, the parts that identify it). */
export interface DigestToolCall {
  id: string;
  name: string;
  arguments: string;
}

function text(content: unknown): string {
  if (typeof content === 'string') return content.trim();
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string' ? (part as { text: string }).text : ''))
    .join('')
    .trim();
}

const NO_CALLS: DigestToolCall[] = [];

function toolCallsOf(message: ChatMessage): DigestToolCall[] {
  if (!Array.isArray(message.tool_calls) || message.tool_calls.length === 0) return NO_CALLS;
  const calls = message.tool_calls as Array<Record<string, any>>;
  return calls.map((call) => ({ id: String(call.id ?? ''), name: String(call.function?.name ?? ''), arguments: String(call.function?.arguments ?? '') }));
}

// What identifies a message across a client's resend: role, text, tool calls and the tool call it
// answers. Fields clients add or drop when echoing an answer back (refusal: null, name, content as
// parts or as a string) do not change it.
// (The JSON of [role, text, tool calls or null, tool-call id or null], written out piece by piece.)
function canonical(message: ChatMessage): string {
  const calls = toolCallsOf(message);
  const callId = typeof message.tool_call_id === 'string' ? JSON.stringify(message.tool_call_id) : 'null';
  const role = JSON.stringify(message.role === 'developer' ? 'system' : message.role);
  return `[${role},${JSON.stringify(text(message.content))},${calls.length ? JSON.stringify(calls) : 'null'},${callId}]`;
}

const chain = (previous: string, message: ChatMessage) => hash('sha256', `${previous}\n${canonical(message)}`).slice(0, 32);

/** The empty conversation's digest, where every chain starts. */
const ROOT = chain('lifeguard-conversation-v1', { role: 'root', content: '' });

/** digests[k] identifies the conversation made of the first k messages (digests[0]: the empty one). */
export function prefixDigests(messages: readonly ChatMessage[]): string[] {
  const digests = [ROOT];
  for (const message of messages) digests.push(chain(digests[digests.length - 1]!, message));
  return digests;
}

/** The digest of the conversation after an answer: the request's messages, then the answer. */
export function answeredDigest(lastPrefix: string, answer: { content: string; toolCalls: DigestToolCall[] }): string {
  if (answer.toolCalls.length === 0) return chain(lastPrefix, { role: 'assistant', content: answer.content });
  const toolCalls = answer.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }));
  return chain(lastPrefix, { role: 'assistant', content: answer.content, tool_calls: toolCalls });
}
