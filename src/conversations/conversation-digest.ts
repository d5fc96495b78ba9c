import { hash } from 'node:crypto';
import type { AnswerEvent, ChatMessage } from '../drivers/driver.js';
import { hashText, TextHash } from './text-hash.js';

/** A tool call as the assistant made it (OpenAI's shape, the parts that identify it). */
export interface DigestToolCall {
  id: string;
  name: string;
  arguments: string;
}

function text(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string' ? (part as { text: string }).text : '')).join('');
}

const NO_CALLS: DigestToolCall[] = [];

function toolCallsOf(message: ChatMessage): DigestToolCall[] {
  if (!Array.isArray(message.tool_calls) || message.tool_calls.length === 0) return NO_CALLS;
  const calls = message.tool_calls as Array<Record<string, any>>;
  return calls.map((call) => ({ id: String(call.id ?? ''), name: String(call.function?.name ?? ''), arguments: String(call.function?.arguments ?? '') }));
}

// A message's digest: one SHA-256 of the digest before it, its role and the tool call it answers (as a
// JSON line, which holds no newline), then its trimmed text; a message with tool calls hashes that
// again with its calls (id, name, hash of the arguments). The text comes last so that an answer's digest
// is computed as it streams (AnswerDigest) and never needs the whole answer in one string. Fields clients
// add or drop when echoing an answer back (refusal: null, name, content as parts or as a string) do not
// change it; `developer` is `system`. A role JSON writes as it is between quotes (any role a request
// may carry) is written without JSON.stringify.
const PLAIN_ROLE = /^[a-z]+$/;
const head = (previous: string, role: string, callId: string | null) =>
  callId === null && PLAIN_ROLE.test(role) ? `${previous}\n["${role}",null]\n` : `${previous}\n${JSON.stringify([role, callId])}\n`;

function withCalls(base: string, calls: ReadonlyArray<{ id: string; name: string; argumentsHash: string }>): string {
  if (calls.length === 0) return base.slice(0, 32);
  return hash('sha256', `${base}\n${JSON.stringify(calls.map((c) => [c.id, c.name, c.argumentsHash]))}`).slice(0, 32);
}

function chain(previous: string, message: ChatMessage): string {
  const role = message.role === 'developer' ? 'system' : message.role;
  const callId = typeof message.tool_call_id === 'string' ? message.tool_call_id : null;
  const base = hash('sha256', head(previous, role, callId) + text(message.content).trim());
  return withCalls(base, toolCallsOf(message).map((call) => ({ id: call.id, name: call.name, argumentsHash: hashText(call.arguments, false) })));
}

/** The empty conversation's digest, where every chain starts. */
const ROOT = hash('sha256', 'lifeguard-conversation-v3').slice(0, 32);

/** digests[k] identifies the conversation made of the first k messages (digests[0]: the empty one). */
export function prefixDigests(messages: readonly ChatMessage[]): string[] {
  const digests = [ROOT];
  for (const message of messages) digests.push(chain(digests[digests.length - 1]!, message));
  return digests;
}

// The digest of the conversation after an answer, folded from the answer's events as they stream: O(1)
// memory in the answer's length. `previous`: the digest of the request's messages.
export class AnswerDigest {
  readonly #text: TextHash;
  #calls: Map<number, { id: string; name: string; arguments: TextHash }> | null = null;

  constructor(previous: string) {
    this.#text = new TextHash(true, undefined, head(previous, 'assistant', null));
  }

  add(event: AnswerEvent): void {
    if (event.type === 'delta') this.#text.update(event.content);
    else if (event.type === 'tool_call') {
      const calls = (this.#calls ??= new Map());
      const call = calls.get(event.call.index) ?? { id: '', name: '', arguments: new TextHash(false) };
      call.id ||= event.call.id ?? '';
      call.name ||= event.call.function?.name ?? '';
      call.arguments.update(event.call.function?.arguments ?? '');
      calls.set(event.call.index, call);
    }
  }

  /** The digest (once: the hashes are finished). */
  digest(): string {
    const calls = this.#calls ? [...this.#calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call) : [];
    return withCalls(this.#text.digest(), calls.map((call) => ({ id: call.id, name: call.name, argumentsHash: call.arguments.digest() })));
  }
}

/** The digest of the conversation after an answer given whole: the request's messages, then the answer. */
export function answeredDigest(lastPrefix: string, answer: { content: string; toolCalls: DigestToolCall[] }): string {
  const digest = new AnswerDigest(lastPrefix);
  digest.add({ type: 'delta', content: answer.content });
  answer.toolCalls.forEach((call, index) => digest.add({ type: 'tool_call', call: { index, id: call.id, function: { name: call.name, arguments: call.arguments } } }));
  return digest.digest();
}
