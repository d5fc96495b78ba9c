import { parseMessagesRequest } from '../messages/messages-request.js';
import { CHARS_PER_TOKEN } from './answer-limits.js';

type Json = Record<string, unknown>;

// An estimate of a Messages request's input tokens, for a worker whose upstream cannot count them
// (Claude Code, a jsonl worker): the request is checked as /v1/messages checks it, then what the
// model would read (system, messages, tools) is counted at 4 characters a token. Images and
// documents count by their encoded size — an estimate, said so in X-Lifeguard-Token-Count.
export function estimateInputTokens(raw: unknown): number {
  const { chat } = parseMessagesRequest(raw);
  const read: Json = { messages: chat.messages, ...(chat.tools ? { tools: chat.tools } : {}) };
  return Math.max(1, Math.ceil(JSON.stringify(read).length / CHARS_PER_TOKEN));
}
