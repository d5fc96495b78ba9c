import { hash } from 'node:crypto';
import { InvalidRequestError } from '../../errors.js';
import type { ChatMessage, ChatRequestBody } from '../driver.js';

type Json = Record<string, unknown>;

/** A client's function tool as the CLI's MCP client takes it from `tools/list`. */
export interface McpTool {
  name: string;
  description?: string;
  inputSchema: Json;
  annotations: { readOnlyHint: true };
  _meta: Record<string, unknown>;
}

/** One MCP content item of a `tools/call` result. */
export type McpContent = { type: 'text'; text: string } | { type: 'image'; data: string; mimeType: string };

export interface McpToolResult {
  content: McpContent[];
  isError: boolean;
}

/** The tool names the Anthropic API accepts (the CLI passes the client's names through unchanged). */
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** Names the CLI 2.1.112 keys its tool tables by: a tool called after an Object property may crash it (fixed in 2.1.221). */
const OBJECT_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));

/** The most characters of a description the CLI passes on (it cuts there and appends "… [truncated]"). */
export const DESCRIPTION_LIMIT = 2048;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

// The request's function tools → the MCP tools the bridge serves, or a 400 naming the tool that the
// CLI cannot take. `builtins`: the CLI's own tools this worker runs (a built-in shadows a client tool
// of the same name, so such a name is refused too).
export function mcpToolsOf(body: ChatRequestBody, builtins: ReadonlySet<string>): McpTool[] {
  const tools = body.tools;
  if (tools === undefined || tools === null) return [];
  if (!Array.isArray(tools)) throw new InvalidRequestError('tools', "Invalid value for 'tools': expected an array of function tools");
  const seen = new Set<string>();
  return tools.map((tool: unknown, i: number) => {
    const field = `tools[${i}]`;
    if (!isObject(tool) || tool.type !== 'function' || !isObject(tool.function)) {
      throw new InvalidRequestError(`${field}.type`, `Invalid value for '${field}.type': the claude-code driver serves only function tools to the CLI`);
    }
    const fn = tool.function;
    const name = fn.name;
    if (typeof name !== 'string' || !TOOL_NAME.test(name)) {
      throw new InvalidRequestError(
        `${field}.function.name`,
        `Invalid value for '${field}.function.name': expected 1 to 64 of the characters a-z A-Z 0-9 _ - (what the Anthropic API accepts), got ${JSON.stringify(name)}`,
      );
    }
    if (OBJECT_NAMES.has(name)) {
      throw new InvalidRequestError(`${field}.function.name`, `Invalid value for '${field}.function.name': Claude Code 2.1.112 cannot take a tool named after an object property (${JSON.stringify(name)}); rename it`);
    }
    if (builtins.has(name)) {
      throw new InvalidRequestError(`${field}.function.name`, `Invalid value for '${field}.function.name': ${JSON.stringify(name)} is a built-in tool this worker runs itself (claude_builtin_tools); rename the client tool`);
    }
    if (seen.has(name)) throw new InvalidRequestError(`${field}.function.name`, `Invalid value for '${field}.function.name': ${JSON.stringify(name)} is named twice`);
    seen.add(name);
    const parameters = fn.parameters ?? { type: 'object', properties: {} };
    if (!isObject(parameters)) throw new InvalidRequestError(`${field}.function.parameters`, `Invalid value for '${field}.function.parameters': expected a JSON Schema object`);
    return {
      name,
      ...(typeof fn.description === 'string' && fn.description ? { description: fn.description } : {}),
      inputSchema: parameters,
      // Concurrency-safe: parallel calls of one model message reach lifeguard together.
      annotations: { readOnlyHint: true },
      // Never deferred behind tool search; results up to the CLI's cap reach the model whole.
      _meta: { 'anthropic/alwaysLoad': true, 'anthropic/maxResultSizeChars': 500_000 },
    };
  });
}

/** What identifies a tool set: a change means a fresh MCP server (names, descriptions, schemas). */
export const toolSetDigest = (tools: readonly McpTool[]): string => (tools.length === 0 ? '' : hash('sha256', JSON.stringify(tools)).slice(0, 16));

const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

// A chat message's content → MCP content: text stays text, data-URL images become MCP images, an
// image given by URL is named in text (lifeguard fetches nothing).
export function mcpContentOf(content: unknown): McpContent[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) return [{ type: 'text', text: content === null || content === undefined ? '' : JSON.stringify(content) }];
  const items: McpContent[] = [];
  for (const part of content as unknown[]) {
    if (!isObject(part)) continue;
    if (typeof part.text === 'string') items.push({ type: 'text', text: part.text });
    else if (part.type === 'image_url' && isObject(part.image_url) && typeof part.image_url.url === 'string') {
      const match = DATA_URL.exec(part.image_url.url);
      items.push(match ? { type: 'image', mimeType: match[1]!, data: match[2]! } : { type: 'text', text: `[image: ${part.image_url.url}]` });
    }
  }
  return items.length ? items : [{ type: 'text', text: '' }];
}

/** The text of a tool result the client did not send. */
export const NO_RESULT = 'The client returned no result for this tool call.';

/** The results a continuation brings for the calls awaiting them, by tool_use id (OpenAI tool_call_id). */
export function toolResultsOf(messages: readonly ChatMessage[], awaited: ReadonlySet<string>): Map<string, McpToolResult> {
  const results = new Map<string, McpToolResult>();
  for (const message of messages) {
    if (message.role !== 'tool' || typeof message.tool_call_id !== 'string' || !awaited.has(message.tool_call_id)) continue;
    results.set(message.tool_call_id, { content: mcpContentOf(message.content), isError: message.is_error === true });
  }
  return results;
}

/** The messages of a continuation that are not tool results (e.g. the user's words beside them). */
export const nonToolMessages = (messages: readonly ChatMessage[]): ChatMessage[] => messages.filter((m) => m.role !== 'tool' && m.role !== 'function');
