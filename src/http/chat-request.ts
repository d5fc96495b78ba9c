import type { ChatRequestBody } from '../drivers/driver.js';
import { InvalidRequestError } from '../errors.js';

const ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function'];

/** The most choices (`n`) one request may ask for: each is a dispatch of its own. */
export const MAX_CHOICES = 16;

const typeName = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

// A 400 naming the field, what was expected and what came.
export function fail(field: string, expected: string, value: unknown): never {
  const shown = JSON.stringify(value);
  throw new InvalidRequestError(
    field,
    `Invalid value for '${field}': expected ${expected}, got ${typeName(value)}${shown && shown.length <= 60 ? ` ${shown}` : ''}`,
  );
}

function optionalNumber(body: Record<string, unknown>, field: string, min: number, max: number, integer = false) {
  const value = body[field];
  if (value === undefined || value === null) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    fail(field, `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`, value);
  }
}

function validateContent(content: unknown, field: string) {
  if (typeof content === 'string' || content === null) return;
  if (!Array.isArray(content)) fail(field, 'a string or an array of content parts', content);
  content.forEach((part, i) => {
    if (typeof part !== 'object' || part === null || typeof (part as { type?: unknown }).type !== 'string') {
      fail(`${field}[${i}]`, 'a content part object with a string "type"', part);
    }
  });
}

// `stop`: a string or an array of strings.
function validateStop(stop: unknown) {
  if (stop === undefined || stop === null || typeof stop === 'string') return;
  if (!Array.isArray(stop) || !stop.every((s) => typeof s === 'string')) fail('stop', 'a string or an array of strings', stop);
}

// Checks an OpenAI chat completion body; throws InvalidRequestError naming the first bad field.
export function parseChatRequest(raw: unknown): ChatRequestBody {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('body', 'a JSON object', raw);
  const body = raw as Record<string, unknown>;
  if (body.model !== undefined && (typeof body.model !== 'string' || body.model.length === 0)) fail('model', 'a non-empty string', body.model);
  if (!Array.isArray(body.messages)) fail('messages', 'an array of messages', body.messages);
  if (body.messages.length === 0) fail('messages', 'at least one message', body.messages);
  for (let i = 0; i < body.messages.length; i++) {
    const message: unknown = body.messages[i];
    // The field's name is made only when it is named in an error.
    if (typeof message !== 'object' || message === null || Array.isArray(message)) fail(`messages[${i}]`, 'a message object', message);
    const { role, content } = message as Record<string, unknown>;
    if (typeof role !== 'string' || !ROLES.includes(role)) fail(`messages[${i}].role`, `one of ${ROLES.join(', ')}`, role);
    if (content === undefined && role !== 'assistant') fail(`messages[${i}].content`, 'a string or an array of content parts', content);
    if (content !== undefined && typeof content !== 'string') validateContent(content, `messages[${i}].content`);
  }
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') fail('stream', 'a boolean', body.stream);
  if (body.stream_options !== undefined && body.stream_options !== null) {
    const options = body.stream_options;
    if (typeof options !== 'object' || Array.isArray(options)) fail('stream_options', 'an object', options);
    const includeUsage = (options as Record<string, unknown>).include_usage;
    if (includeUsage !== undefined && typeof includeUsage !== 'boolean') fail('stream_options.include_usage', 'a boolean', includeUsage);
  }
  optionalNumber(body, 'n', 1, MAX_CHOICES, true);
  validateStop(body.stop);
  optionalNumber(body, 'temperature', 0, 2);
  optionalNumber(body, 'top_p', 0, 1);
  optionalNumber(body, 'max_tokens', 1, Number.MAX_SAFE_INTEGER, true);
  optionalNumber(body, 'max_completion_tokens', 1, Number.MAX_SAFE_INTEGER, true);
  return body as ChatRequestBody;
}
