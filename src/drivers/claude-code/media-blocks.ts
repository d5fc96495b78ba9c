import { InvalidRequestError } from '../../errors.js';
import type { ChatMessage } from '../driver.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

const dataUrl = (url: string) => /^data:([^;,]+);base64,(.*)$/s.exec(url);

// One chat content part that is not text → the Anthropic block the CLI's user message takes.
function blockOf(part: Json, field: string): Json {
  if (part.type === 'image_url') {
    const url = isObject(part.image_url) ? part.image_url.url : part.image_url;
    if (typeof url !== 'string') throw new InvalidRequestError(`${field}.image_url`, `Invalid value for '${field}.image_url': expected an image URL or data URL`);
    const data = dataUrl(url);
    return { type: 'image', source: data ? { type: 'base64', media_type: data[1], data: data[2] } : { type: 'url', url } };
  }
  if (part.type === 'file' && isObject(part.file)) {
    const title = typeof part.file.filename === 'string' ? { title: part.file.filename } : {};
    const data = typeof part.file.file_data === 'string' ? dataUrl(part.file.file_data) : null;
    if (data) return { type: 'document', source: { type: 'base64', media_type: data[1], data: data[2] }, ...title };
    if (typeof part.file.file_url === 'string') return { type: 'document', source: { type: 'url', url: part.file.file_url }, ...title };
  }
  throw new InvalidRequestError(
    `${field}.type`,
    `Invalid value for '${field}.type': the claude-code driver passes text, images and documents (PDF, text) to the CLI, not ${JSON.stringify(part.type)}${part.type === 'file' ? ' without inline file_data or a file_url' : ''}`,
  );
}

// The images and documents of the messages a turn sends (a user's, a tool result's), as Anthropic
// blocks for the CLI's user message; their text goes in the folded transcript. Throws
// InvalidRequestError naming a part the CLI cannot take.
export function mediaBlocks(messages: ChatMessage[]): Json[] {
  return messages.flatMap((message, m) =>
    Array.isArray(message.content)
      ? message.content.flatMap((part: unknown, i: number) => (isObject(part) && part.type !== 'text' ? [blockOf(part, `messages[${m}].content[${i}]`)] : []))
      : [],
  );
}
