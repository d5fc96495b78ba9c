import type { ChatRequestBody } from '../../drivers/driver.js';
import { InvalidRequestError } from '../../errors.js';

/** tool_policy: what happens to a tool lifeguard's worker cannot serve (a hosted tool, a namespace, a custom tool). */
export type ToolPolicyMode = 'drop' | 'strict';

export interface ToolPolicy {
  mode: ToolPolicyMode;
  /** The upstream serves (or refuses) every tool type itself (openai-http): nothing is left out. */
  passThrough: boolean;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The tool policy of a driver: openai-http passes every tool to its server; the others leave out (or refuse) what they cannot call. */
export const toolPolicyFor = (driver: string, mode: ToolPolicyMode): ToolPolicy => ({ mode, passThrough: driver === 'openai-http' && mode === 'drop' });

/** A chat tool a worker can call: a function (a malformed one is the worker's or the parser's 400, not a tool to leave out). */
export const isFunctionTool = (tool: unknown): boolean => isObject(tool) && tool.type === 'function';

// How a tool is named in the header and the log: its type, and its name when it has one
// (`web_search`, `namespace:multi_agent_v1`, `custom:apply_patch`).
export function describeTool(tool: unknown): string {
  if (!isObject(tool)) return String(tool);
  const type = typeof tool.type === 'string' ? tool.type : 'untyped';
  const nested = isObject(tool[type]) ? (tool[type] as Json).name : undefined;
  const name = typeof tool.name === 'string' ? tool.name : typeof nested === 'string' ? nested : undefined;
  return name ? `${type}:${name}` : type;
}

// Applies the policy to a chat body's `tools` in place: what the worker cannot call is left out
// (and named in the result), or — strict — refused with a 400 naming the first such tool.
export function applyToolPolicy(body: ChatRequestBody, policy: ToolPolicy): string[] {
  const tools = body.tools;
  if (!Array.isArray(tools) || policy.passThrough) return [];
  const refused = tools.findIndex((tool) => !isFunctionTool(tool));
  if (refused < 0) return [];
  if (policy.mode === 'strict') {
    const tool = tools[refused] as Json;
    throw new InvalidRequestError(
      `tools[${refused}].type`,
      `Invalid value for 'tools[${refused}].type': lifeguard's worker calls function tools only and cannot serve ${JSON.stringify(describeTool(tool))} (tool_policy is strict; with tool_policy: drop it is left out and named in X-Lifeguard-Tools-Dropped)`,
    );
  }
  const dropped = tools.filter((tool) => !isFunctionTool(tool)).map(describeTool);
  const kept = tools.filter(isFunctionTool);
  if (kept.length) body.tools = kept;
  else {
    delete body.tools;
    delete body.tool_choice;
    delete body.parallel_tool_calls;
  }
  return dropped;
}
