import type { ChatMessage, ChatRequestBody } from '../../drivers/driver.js';
import { responseFormatOfOutputConfig } from '../../structured/anthropic-output-format.js';
import { fail, parseChatRequest } from '../chat-request.js';
import type { AnswerRequest } from '../serve-answer.js';
import { messagesRenderer } from './messages-render.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function textOf(content: unknown, field: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) fail(field, 'a string or an array of text blocks', content);
  return content
    .map((block: unknown, i: number) => {
      if (!isObject(block) || block.type !== 'text' || typeof block.text !== 'string') fail(`${field}[${i}]`, 'a text block', block);
      return block.text;
    })
    .join('');
}

function imagePart(block: Json, field: string): Json {
  const source = block.source;
  if (isObject(source) && source.type === 'base64' && typeof source.data === 'string') {
    return { type: 'image_url', image_url: { url: `data:${String(source.media_type ?? 'image/png')};base64,${source.data}` } };
  }
  if (isObject(source) && source.type === 'url' && typeof source.url === 'string') return { type: 'image_url', image_url: { url: source.url } };
  return fail(`${field}.source`, 'a base64 or url image source', source);
}

// A document block (a PDF, plain text) → a chat `file` part carrying it as a data URL, or a text part for plain text.
function documentPart(block: Json, field: string): Json {
  const source = block.source;
  const filename = typeof block.title === 'string' ? { filename: block.title } : {};
  if (isObject(source) && source.type === 'base64' && typeof source.data === 'string') {
    return { type: 'file', file: { file_data: `data:${String(source.media_type ?? 'application/pdf')};base64,${source.data}`, ...filename } };
  }
  if (isObject(source) && source.type === 'text' && typeof source.data === 'string') return { type: 'text', text: source.data };
  if (isObject(source) && source.type === 'url' && typeof source.url === 'string') return { type: 'file', file: { file_url: source.url, ...filename } };
  return fail(`${field}.source`, 'a base64, text or url document source', source);
}

// Blocks a user turn may carry anywhere (its own content, a tool_result's): text, images, documents.
function mediaPart(block: unknown, field: string): Json {
  if (!isObject(block)) return fail(field, 'a content block object', block);
  if (block.type === 'text') {
    if (typeof block.text !== 'string') fail(`${field}.text`, 'a string', block.text);
    return { type: 'text', text: block.text };
  }
  if (block.type === 'image') return imagePart(block, field);
  if (block.type === 'document') return documentPart(block, field);
  return fail(`${field}.type`, 'one of text, image, document', block.type);
}

// A tool_result's content: text stays a string; with images or documents, chat content parts.
function toolResultContent(content: unknown, field: string): string | Json[] {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return fail(field, 'a string or an array of text, image and document blocks', content);
  const parts = content.map((block, i) => mediaPart(block, `${field}[${i}]`));
  return parts.every((p) => p.type === 'text') ? parts.map((p) => p.text as string).join('') : parts;
}

// One Anthropic message → chat messages: tool_result blocks become `tool` messages (before the user's
// own words), tool_use blocks an assistant message's tool_calls; thinking blocks are left out.
function chatMessages(message: unknown, field: string): ChatMessage[] {
  if (!isObject(message)) fail(field, 'a message object', message);
  const { role, content } = message;
  if (role !== 'user' && role !== 'assistant') fail(`${field}.role`, 'one of user, assistant', role);
  if (typeof content === 'string') return [{ role, content }];
  if (!Array.isArray(content)) fail(`${field}.content`, 'a string or an array of content blocks', content);
  const tools: ChatMessage[] = [];
  const parts: Json[] = [];
  const calls: Json[] = [];
  content.forEach((block: unknown, i: number) => {
    const at = `${field}.content[${i}]`;
    if (!isObject(block)) fail(at, 'a content block object', block);
    switch (block.type) {
      case 'text':
        if (typeof block.text !== 'string') fail(`${at}.text`, 'a string', block.text);
        parts.push({ type: 'text', text: block.text });
        return;
      case 'image':
      case 'document':
        parts.push(mediaPart(block, at));
        return;
      case 'tool_use':
        if (role !== 'assistant') fail(`${at}.type`, 'tool_use only in an assistant message', block.type);
        if (typeof block.id !== 'string' || typeof block.name !== 'string') fail(at, 'a tool_use block with string "id" and "name"', block);
        calls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
        return;
      case 'tool_result':
        if (role !== 'user') fail(`${at}.type`, 'tool_result only in a user message', block.type);
        if (typeof block.tool_use_id !== 'string') fail(`${at}.tool_use_id`, 'a string', block.tool_use_id);
        tools.push({ role: 'tool', tool_call_id: block.tool_use_id, content: toolResultContent(block.content, `${at}.content`), ...(block.is_error === true ? { is_error: true } : {}) });
        return;
      case 'thinking':
      case 'redacted_thinking':
        return;
      default:
        fail(`${at}.type`, 'one of text, image, document, tool_use, tool_result, thinking', block.type);
    }
  });
  const allText = parts.every((p) => p.type === 'text');
  const joined = allText ? parts.map((p) => p.text as string).join('') : parts;
  if (role === 'assistant') return [{ role, content: calls.length && !parts.length ? null : joined, ...(calls.length ? { tool_calls: calls } : {}) }];
  return [...tools, ...(parts.length || !tools.length ? [{ role, content: joined }] : [])];
}

function chatTools(tools: unknown): Json[] | undefined {
  if (tools === undefined || tools === null) return undefined;
  if (!Array.isArray(tools)) fail('tools', 'an array of tools', tools);
  return tools.map((tool: unknown, i: number) => {
    if (!isObject(tool) || typeof tool.name !== 'string' || !tool.name) fail(`tools[${i}].name`, 'a non-empty string', isObject(tool) ? tool.name : tool);
    if (tool.type !== undefined && tool.type !== null && typeof tool.type !== 'string') fail(`tools[${i}].type`, 'a string', tool.type);
    // A server tool (web_search_…, code_execution_…, bash_…): kept as it came, for the tool policy (compat/tool-policy.ts).
    if (tool.type !== undefined && tool.type !== null && tool.type !== 'custom') return { ...tool };
    if (!isObject(tool.input_schema)) fail(`tools[${i}].input_schema`, 'a JSON Schema object', tool.input_schema);
    return { type: 'function', function: { name: tool.name, ...(tool.description ? { description: tool.description } : {}), parameters: tool.input_schema } };
  });
}

function chatToolChoice(choice: unknown): { tool_choice?: unknown; parallel_tool_calls?: boolean } {
  if (choice === undefined || choice === null) return {};
  if (!isObject(choice)) return fail('tool_choice', 'an object with "type"', choice);
  const parallel = choice.disable_parallel_tool_use === true ? { parallel_tool_calls: false } : {};
  switch (choice.type) {
    case 'auto':
      return { tool_choice: 'auto', ...parallel };
    case 'any':
      return { tool_choice: 'required', ...parallel };
    case 'none':
      return { tool_choice: 'none' };
    case 'tool':
      if (typeof choice.name !== 'string') fail('tool_choice.name', 'a string', choice.name);
      return { tool_choice: { type: 'function', function: { name: choice.name } }, ...parallel };
    default:
      return fail('tool_choice.type', 'one of auto, any, tool, none', choice.type);
  }
}

// Checks an Anthropic Messages request and reduces it to a chat completion body; throws
// InvalidRequestError naming the first bad field.
export function parseMessagesRequest(raw: unknown): { chat: ChatRequestBody; stream: boolean } {
  if (!isObject(raw)) fail('body', 'a JSON object', raw);
  if (!Array.isArray(raw.messages) || raw.messages.length === 0) fail('messages', 'a non-empty array of messages', raw.messages);
  if (raw.max_tokens !== undefined && (!Number.isInteger(raw.max_tokens) || (raw.max_tokens as number) < 1)) fail('max_tokens', 'a positive integer', raw.max_tokens);
  if (raw.stop_sequences !== undefined && (!Array.isArray(raw.stop_sequences) || !raw.stop_sequences.every((s) => typeof s === 'string'))) {
    fail('stop_sequences', 'an array of strings', raw.stop_sequences);
  }
  if (raw.stream !== undefined && raw.stream !== null && typeof raw.stream !== 'boolean') fail('stream', 'a boolean', raw.stream);
  const system = raw.system === undefined || raw.system === null ? [] : [{ role: 'system', content: textOf(raw.system, 'system') }];
  const messages = [...system, ...raw.messages.flatMap((message: unknown, i: number) => chatMessages(message, `messages[${i}]`))];
  const chat: Json = {
    ...(raw.model !== undefined ? { model: raw.model } : {}),
    messages,
    stream: raw.stream === true,
    max_tokens: raw.max_tokens,
    stop: raw.stop_sequences,
    temperature: raw.temperature ?? undefined,
    top_p: raw.top_p ?? undefined,
    tools: chatTools(raw.tools),
    ...chatToolChoice(raw.tool_choice),
    response_format: responseFormatOfOutputConfig(raw.output_config),
    user: isObject(raw.metadata) && typeof raw.metadata.user_id === 'string' ? raw.metadata.user_id : undefined,
  };
  for (const key of Object.keys(chat)) if (chat[key] === undefined) delete chat[key];
  return { chat: parseChatRequest(chat), stream: raw.stream === true };
}

/** POST /v1/messages: the request the answer core serves. */
export function messagesApi(raw: unknown, defaultModel: string): AnswerRequest {
  const request = parseMessagesRequest(raw);
  return { body: request.chat, stream: request.stream, renderer: messagesRenderer({ model: request.chat.model ?? defaultModel }) };
}
