import type { ChatMessage, ChatRequestBody } from '../drivers/driver.js';
import type { StructuredFormat } from './response-format.js';

// The words that state the format in the turn, for a worker (Claude Code) that has no per-request schema.
export function formatInstruction(format: StructuredFormat): string {
  const only = 'Reply with only that JSON: no prose before or after it, no code fence, no explanation.';
  if (format.kind === 'json_object') return `Answer with one valid JSON object. ${only}`;
  const about = format.description ? ` (${format.description})` : '';
  return `Answer with one JSON value that conforms to the JSON Schema "${format.name}"${about} below. ${only}\n\nJSON Schema:\n${JSON.stringify(format.schema)}`;
}

export function correctiveMessage(failure: string): string {
  return `Your last answer does not conform to the required JSON format: ${failure}. Reply again with only the corrected JSON, conforming to the JSON Schema given before: no prose, no code fence, no explanation.`;
}

function appendText(content: unknown, text: string): unknown {
  if (typeof content === 'string') return `${content}\n\n${text}`;
  if (Array.isArray(content)) return [...content, { type: 'text', text }];
  return text;
}

// The body with the format stated at the end of its last user message (or in a new one at the end).
export function withInstruction(body: ChatRequestBody, format: StructuredFormat): ChatRequestBody {
  const text = formatInstruction(format);
  const lastUser = body.messages.map((m) => m.role).lastIndexOf('user');
  const messages: ChatMessage[] =
    lastUser < 0
      ? [...body.messages, { role: 'user', content: text }]
      : body.messages.map((m, i) => (i === lastUser ? { ...m, content: appendText(m.content, text) } : m));
  return { ...body, messages };
}

// The follow-up that asks for a correction: the same conversation, the invalid answer, what failed.
export function correctiveFollowUp(asked: ChatRequestBody, answer: string, failure: string): ChatRequestBody {
  return {
    ...asked,
    messages: [...asked.messages, { role: 'assistant', content: answer }, { role: 'user', content: correctiveMessage(failure) }],
  };
}
