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

/** A message's parts that identify it, with its text and its calls' arguments as hashes. */
interface MessageIdentity {
  role: string;
  textHash: string;
  calls: Array<{ id: string; name: string; argumentsHash: string }>;
  callId: string | null;
}

// The JSON of [role, hash of the trimmed text, tool calls (id, name, hash of the arguments) or null,
// tool-call id or null]. Hashes, not the text itself, so that an answer's identity is computed as it
// streams (AnswerDigest) and never needs the whole answer in one string.
const canonical = (m: MessageIdentity) =>
  `[${JSON.stringify(m.role)},"${m.textHash}",${m.calls.length ? JSON.stringify(m.calls.map((c) => [c.id, c.name, c.argumentsHash])) : 'null'},${m.callId === null ? 'null' : JSON.stringify(m.callId)}]`;

// What identifies a message across a client's resend: role, text, tool calls and the tool call it
// answers. Fields clients add or drop when echoing an answer back (refusal: null, name, content as
// parts or as a string) do not change it.
const identity = (message: ChatMessage): MessageIdentity => ({
  role: message.role === 'developer' ? 'system' : message.role,
  textHash: hashText(text(message.content), true),
  calls: toolCallsOf(message).map((call) => ({ id: call.id, name: call.name, argumentsHash: hashText(call.arguments, false) })),
  callId: typeof message.tool_call_id === 'string' ? message.tool_call_id : null,
});

const chain = (previous: string, message: MessageIdentity) => hash('sha256', `${previous}\n${canonical(message)}`).slice(0, 32);

/** The empty conversation's digest, where every chain starts. */
const ROOT = chain('lifeguard-conversation-v2', identity({ role: 'root', content: '' }));

/** digests[k] identifies the conversation made of the first k messages (digests[0]: the empty one). */
export function prefixDigests(messages: readonly ChatMessage[]): string[] {
  const digests = [ROOT];
  for (const message of messages) digests.push(chain(digests[digests.length - 1]!, identity(message)));
  return digests;
}

// An answer's identity, folded from its events as they stream: O(1) memory in the answer's length.
export class AnswerDigest {
  readonly #text = new TextHash(true);
  #calls: Map<number, { id: string; name: string; arguments: TextHash }> | null = null;

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

  /** The digest of the conversation after this answer (once: the hashes are finished). */
  after(lastPrefix: string): string {
    const calls = this.#calls ? [...this.#calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call) : [];
    return chain(lastPrefix, {
      role: 'assistant',
      textHash: this.#text.digest(),
      calls: calls.map((call) => ({ id: call.id, name: call.name, argumentsHash: call.arguments.digest() })),
      callId: null,
    });
  }
}

/** The digest of the conversation after an answer given whole: the request's messages, then the answer. */
export function answeredDigest(lastPrefix: string, answer: { content: string; toolCalls: DigestToolCall[] }): string {
  const digest = new AnswerDigest();
  digest.add({ type: 'delta', content: answer.content });
  answer.toolCalls.forEach((call, index) => digest.add({ type: 'tool_call', call: { index, id: call.id, function: { name: call.name, arguments: call.arguments } } }));
  return digest.after(lastPrefix);
}
