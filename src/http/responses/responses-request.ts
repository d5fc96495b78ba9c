import type { ChatMessage, ChatRequestBody } from '../../drivers/driver.js';
import { InvalidRequestError } from '../../errors.js';
import { fail, parseChatRequest } from '../chat-request.js';
import type { AnswerRequest } from '../serve-answer.js';
import { createRecentItems, type RecentItems } from './recent-items.js';
import { responsesRenderer } from './responses-render.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The Responses request as lifeguard understood it: the chat body the worker gets, and what the
 * response object echoes back. */
export interface ResponsesRequest {
  chat: ChatRequestBody;
  stream: boolean;
  echo: Json;
}

// A Responses content part → a chat content part.
function contentPart(part: unknown, field: string): Json {
  if (!isObject(part)) fail(field, 'a content part object', part);
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      if (typeof part.text !== 'string') fail(`${field}.text`, 'a string', part.text);
      return { type: 'text', text: part.text };
    case 'refusal':
      return { type: 'text', text: String(part.refusal ?? '') };
    case 'input_image':
      if (typeof part.image_url !== 'string') fail(`${field}.image_url`, 'an image URL or data URL (file_id needs stored files)', part.image_url);
      return { type: 'image_url', image_url: { url: part.image_url, ...(part.detail ? { detail: part.detail } : {}) } };
    case 'input_file':
      if (typeof part.file_data !== 'string') fail(`${field}.file_data`, 'the file inline as a data URL (file_id needs stored files)', part.file_data);
      return { type: 'file', file: { file_data: part.file_data, ...(part.filename ? { filename: part.filename } : {}) } };
    default:
      return fail(`${field}.type`, 'one of input_text, output_text, refusal, input_image, input_file', part.type);
  }
}

function messageContent(content: unknown, field: string): string | Json[] {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) fail(field, 'a string or an array of content parts', content);
  const parts = content.map((part, i) => contentPart(part, `${field}[${i}]`));
  return parts.every((p) => p.type === 'text') ? parts.map((p) => p.text as string).join('') : parts;
}

// A function_call_output's output: text as a string; with images or files, chat content parts.
const outputText = (output: unknown, field: string): string | Json[] => {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) {
    const parts = output.map((part, i) => contentPart(part, `${field}[${i}]`));
    return parts.every((p) => p.type === 'text') ? parts.map((p) => p.text as string).join('') : parts;
  }
  return fail(field, 'a string or an array of content parts', output);
};

/** The most `item_reference`s one request may make. */
export const MAX_ITEM_REFERENCES = 256;
/** The most bytes (as JSON) the items one request's references resolve to may add up to. */
export const MAX_REFERENCED_BYTES = 8 * 1024 * 1024;

// Resolves one request's item_references, counting them and the bytes they bring in: a small body
// that refers to one big remembered answer many times would otherwise be copied as many times.
// Both limits are checked before a reference is resolved, so the work stays linear in the body.
function referenceResolver(recent: RecentItems) {
  let count = 0;
  let bytes = 0;
  return (id: string, field: string): Json | undefined => {
    count += 1;
    if (count > MAX_ITEM_REFERENCES) {
      throw new InvalidRequestError(field, `Invalid value for '${field}': a request may make at most ${MAX_ITEM_REFERENCES} item_references (MAX_ITEM_REFERENCES); send the items themselves instead`);
    }
    const found = recent.find(id);
    if (!found) return undefined;
    bytes += found.bytes;
    if (bytes > MAX_REFERENCED_BYTES) {
      throw new InvalidRequestError(
        field,
        `Invalid value for '${field}': the items this request's item_references resolve to add up to more than ${MAX_REFERENCED_BYTES} bytes (MAX_REFERENCED_BYTES), ${bytes} by this one; refer to each earlier item once`,
      );
    }
    return found.item;
  };
}

// `input` items → chat messages: messages map one to one; consecutive function_call items become one
// assistant message with tool_calls; a function_call_output becomes a `tool` message.
function inputMessages(input: unknown, recent: RecentItems): ChatMessage[] {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  if (!Array.isArray(input)) fail('input', 'a string or an array of input items', input);
  const messages: ChatMessage[] = [];
  const resolve = referenceResolver(recent);
  input.forEach((given: unknown, i: number) => {
    const field = `input[${i}]`;
    if (!isObject(given)) fail(field, 'an input item object', given);
    const item = given.type === 'item_reference' && typeof given.id === 'string' ? (resolve(given.id, field) ?? given) : given;
    const type = item.type ?? 'message';
    if (type === 'message') {
      const roles = ['user', 'assistant', 'system', 'developer'];
      if (typeof item.role !== 'string' || !roles.includes(item.role)) fail(`${field}.role`, `one of ${roles.join(', ')}`, item.role);
      messages.push({ role: item.role, content: messageContent(item.content, `${field}.content`) });
    } else if (type === 'function_call') {
      if (typeof item.call_id !== 'string') fail(`${field}.call_id`, 'a string', item.call_id);
      if (typeof item.name !== 'string') fail(`${field}.name`, 'a string', item.name);
      if (typeof item.arguments !== 'string') fail(`${field}.arguments`, 'a JSON string', item.arguments);
      const call = { id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments } };
      const last = messages.at(-1);
      if (last?.role === 'assistant' && Array.isArray(last.tool_calls)) last.tool_calls.push(call);
      else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
    } else if (type === 'function_call_output') {
      if (typeof item.call_id !== 'string') fail(`${field}.call_id`, 'a string', item.call_id);
      messages.push({ role: 'tool', tool_call_id: item.call_id, content: outputText(item.output, `${field}.output`) });
    } else if (type === 'reasoning') {
      // A model's reasoning from an earlier turn: nothing a worker here needs back.
    } else if (type === 'item_reference') {
      throw new InvalidRequestError(
        field,
        `Invalid value for '${field}': lifeguard's Responses API is stateless and remembers only its recent output items, not ${JSON.stringify(item.id)}; send the item itself instead of a reference (with the Vercel AI SDK: providerOptions.openai.store = false)`,
      );
    } else {
      fail(`${field}.type`, 'one of message, function_call, function_call_output, reasoning', type);
    }
  });
  return messages;
}

function chatTools(tools: unknown): Json[] | undefined {
  if (tools === undefined || tools === null) return undefined;
  if (!Array.isArray(tools)) fail('tools', 'an array of function tools', tools);
  return tools.map((tool: unknown, i: number) => {
    if (!isObject(tool) || typeof tool.type !== 'string') fail(`tools[${i}].type`, 'a tool object with a string "type"', isObject(tool) ? tool.type : tool);
    // A hosted, namespace or custom tool: kept as it came, for the tool policy (compat/tool-policy.ts).
    if (tool.type !== 'function') return { ...tool };
    if (typeof tool.name !== 'string' || !tool.name) fail(`tools[${i}].name`, 'a non-empty string', tool.name);
    const { type: _type, ...fn } = tool;
    return { type: 'function', function: fn };
  });
}

function chatToolChoice(choice: unknown): unknown {
  if (choice === undefined || choice === null || typeof choice === 'string') return choice ?? undefined;
  if (isObject(choice) && choice.type === 'function' && typeof choice.name === 'string') return { type: 'function', function: { name: choice.name } };
  return fail('tool_choice', '"auto", "none", "required" or {"type":"function","name":…}', choice);
}

function responseFormat(text: unknown): unknown {
  if (!isObject(text) || !isObject(text.format)) return undefined;
  const { type, name, schema, strict, description } = text.format;
  if (type === 'json_schema') return { type: 'json_schema', json_schema: { name, schema, ...(strict !== undefined ? { strict } : {}), ...(description ? { description } : {}) } };
  if (type === 'json_object') return { type: 'json_object' };
  return undefined;
}

// Checks a Responses API request and reduces it to a chat completion body; throws InvalidRequestError
// naming the first bad field. Stateless: stored responses and previous_response_id are refused.
export function parseResponsesRequest(raw: unknown, recent: RecentItems = createRecentItems(0)): ResponsesRequest {
  if (!isObject(raw)) fail('body', 'a JSON object', raw);
  if (raw.store === true) {
    throw new InvalidRequestError('store', "Invalid value for 'store': lifeguard's Responses API is stateless; send store: false (or leave it out) and the whole conversation in 'input'");
  }
  if (raw.previous_response_id !== undefined && raw.previous_response_id !== null) {
    throw new InvalidRequestError('previous_response_id', "Invalid value for 'previous_response_id': lifeguard's Responses API is stateless and keeps no responses; send the whole conversation in 'input'");
  }
  if (raw.conversation !== undefined && raw.conversation !== null) {
    throw new InvalidRequestError('conversation', "Invalid value for 'conversation': lifeguard keeps no stored conversations; send the whole conversation in 'input'");
  }
  if (raw.input === undefined) fail('input', 'a string or an array of input items', raw.input);
  if (raw.instructions !== undefined && raw.instructions !== null && typeof raw.instructions !== 'string') fail('instructions', 'a string', raw.instructions);
  if (raw.stream !== undefined && raw.stream !== null && typeof raw.stream !== 'boolean') fail('stream', 'a boolean', raw.stream);
  const messages = [...(typeof raw.instructions === 'string' ? [{ role: 'system', content: raw.instructions }] : []), ...inputMessages(raw.input, recent)];
  if (messages.length === 0) fail('input', 'at least one input item', raw.input);
  const chat: Json = {
    ...(raw.model !== undefined ? { model: raw.model } : {}),
    messages,
    stream: raw.stream === true,
    tools: chatTools(raw.tools),
    tool_choice: chatToolChoice(raw.tool_choice),
    parallel_tool_calls: raw.parallel_tool_calls ?? undefined,
    temperature: raw.temperature ?? undefined,
    top_p: raw.top_p ?? undefined,
    max_completion_tokens: raw.max_output_tokens ?? undefined,
    response_format: responseFormat(raw.text),
    user: raw.user ?? undefined,
    ...(typeof raw.prompt_cache_key === 'string' ? { prompt_cache_key: raw.prompt_cache_key } : {}),
  };
  for (const key of Object.keys(chat)) if (chat[key] === undefined) delete chat[key];
  try {
    return { chat: parseChatRequest(chat), stream: raw.stream === true, echo: raw };
  } catch (error) {
    // The chat body's field names are not the client's: say which Responses field was wrong.
    if (error instanceof InvalidRequestError && error.field === 'max_completion_tokens') fail('max_output_tokens', 'a positive integer', raw.max_output_tokens);
    throw error;
  }
}

/** POST /v1/responses: the request the answer core serves. Output items are remembered (boundedly)
 * so that a later `item_reference` to them resolves. */
export function createResponsesApi(recent: RecentItems = createRecentItems(4096)) {
  return (raw: unknown, defaultModel: string): AnswerRequest => {
    const request = parseResponsesRequest(raw, recent);
    const model = request.chat.model ?? defaultModel;
    return { body: request.chat, stream: request.stream, renderer: responsesRenderer(request.echo, { model }, recent.remember) };
  };
}
