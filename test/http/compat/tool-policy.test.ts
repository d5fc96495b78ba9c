import { describe, expect, it } from 'vitest';
import type { ChatRequestBody } from '../../../src/drivers/driver.js';
import { InvalidRequestError } from '../../../src/errors.js';
import { applyToolPolicy, describeTool, toolPolicyFor } from '../../../src/http/compat/tool-policy.js';

const fn = { type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } };
const body = (tools: unknown[]): ChatRequestBody => ({ messages: [{ role: 'user', content: 'x' }], tools, tool_choice: 'auto', parallel_tool_calls: true });

describe('the tool policy', () => {
  it.each([
    [{ type: 'web_search', external_web_access: false }, 'web_search'],
    [{ type: 'namespace', name: 'multi_agent_v1', tools: [] }, 'namespace:multi_agent_v1'],
    [{ type: 'custom', name: 'apply_patch', format: { type: 'grammar' } }, 'custom:apply_patch'],
    [{ type: 'custom', custom: { name: 'freeform' } }, 'custom:freeform'],
    [{ type: 'web_search_20250305', name: 'web_search' }, 'web_search_20250305:web_search'],
  ])('names %j as %s', (tool, name) => {
    expect(describeTool(tool)).toBe(name);
  });

  it('drop: leaves out what the worker cannot call, keeps the functions, and names what it left out', () => {
    const request = body([{ type: 'web_search' }, fn, { type: 'namespace', name: 'agents' }]);
    expect(applyToolPolicy(request, toolPolicyFor('jsonl', 'drop'))).toEqual(['web_search', 'namespace:agents']);
    expect(request.tools).toEqual([fn]);
    expect(request.tool_choice).toBe('auto');
  });

  it('drop: with no function left, the tool settings go too (a worker sees no tools)', () => {
    const request = body([{ type: 'file_search' }]);
    expect(applyToolPolicy(request, toolPolicyFor('claude-code', 'drop'))).toEqual(['file_search']);
    expect(request).toEqual({ messages: [{ role: 'user', content: 'x' }] });
  });

  it('strict: a 400 naming the first tool the worker cannot call', () => {
    const request = body([fn, { type: 'code_interpreter' }]);
    expect(() => applyToolPolicy(request, toolPolicyFor('jsonl', 'strict'))).toThrow(InvalidRequestError);
    try {
      applyToolPolicy(request, toolPolicyFor('jsonl', 'strict'));
    } catch (error) {
      expect((error as InvalidRequestError).field).toBe('tools[1].type');
      expect((error as Error).message).toContain('"code_interpreter"');
    }
  });

  it('openai-http passes every tool to its server under drop, and is strict under strict', () => {
    const request = body([{ type: 'web_search' }, fn]);
    expect(applyToolPolicy(request, toolPolicyFor('openai-http', 'drop'))).toEqual([]);
    expect(request.tools).toHaveLength(2);
    expect(() => applyToolPolicy(request, toolPolicyFor('openai-http', 'strict'))).toThrow(InvalidRequestError);
  });

  it('function tools only, or no tools: nothing changes', () => {
    const request = body([fn]);
    expect(applyToolPolicy(request, toolPolicyFor('jsonl', 'strict'))).toEqual([]);
    expect(request.tools).toEqual([fn]);
    expect(applyToolPolicy({ messages: [] }, toolPolicyFor('jsonl', 'drop'))).toEqual([]);
  });
});
