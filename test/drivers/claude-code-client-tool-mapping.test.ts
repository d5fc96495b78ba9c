import { describe, expect, it } from 'vitest';
import { mcpContentOf, mcpToolsOf, toolResultsOf, toolSetDigest } from '../../src/drivers/claude-code/client-tools.js';
import { parseMessagesRequest } from '../../src/http/messages/messages-request.js';
import { parseResponsesRequest } from '../../src/http/responses/responses-request.js';

const fn = (name: string, extra: Record<string, unknown> = {}) => ({ type: 'function', function: { name, parameters: { type: 'object', properties: {} }, ...extra } });
const body = (tools: unknown) => ({ messages: [{ role: 'user', content: 'hi' }], tools });

describe("a request's function tools as the MCP tools the claude-code bridge serves", () => {
  it('keeps name, description and schema, marks them concurrency-safe and always loaded', () => {
    const [tool] = mcpToolsOf(body([fn('get_weather', { description: 'Weather' })]), new Set());
    expect(tool).toEqual({
      name: 'get_weather',
      description: 'Weather',
      inputSchema: { type: 'object', properties: {} },
      annotations: { readOnlyHint: true },
      _meta: { 'anthropic/alwaysLoad': true, 'anthropic/maxResultSizeChars': 500_000 },
    });
    expect(mcpToolsOf(body([{ type: 'function', function: { name: 'x' } }]), new Set())[0]!.inputSchema).toEqual({ type: 'object', properties: {} });
  });

  it.each([
    ['a name with a dot', [fn('get.weather')], 'tools[0].function.name'],
    ['a name of 65 characters', [fn('x'.repeat(65))], 'tools[0].function.name'],
    ['an Object property name', [fn('toString')], 'tools[0].function.name'],
    ['a duplicate', [fn('a'), fn('a')], 'tools[1].function.name'],
    ['an enabled built-in', [fn('Read')], 'tools[0].function.name'],
    ['a hosted tool', [{ type: 'web_search' }], 'tools[0].type'],
    ['parameters that are not an object', [fn('a', { parameters: [] })], 'tools[0].function.parameters'],
  ])('refuses %s with a 400 naming the field', (_, tools, field) => {
    expect(() => mcpToolsOf(body(tools), new Set(['Read']))).toThrow(expect.objectContaining({ kind: 'invalid_request', field }));
  });

  it('a tool set digest changes with any name, description or schema, and is empty for none', () => {
    const a = toolSetDigest(mcpToolsOf(body([fn('a')]), new Set()));
    expect(toolSetDigest([])).toBe('');
    expect(toolSetDigest(mcpToolsOf(body([fn('a')]), new Set()))).toBe(a);
    expect(toolSetDigest(mcpToolsOf(body([fn('a', { description: 'd' })]), new Set()))).not.toBe(a);
    expect(toolSetDigest(mcpToolsOf(body([fn('b')]), new Set()))).not.toBe(a);
  });
});

describe('tool results as MCP tools/call results', () => {
  it('text stays text, a data-URL image becomes an MCP image, an image by URL is named in text', () => {
    expect(mcpContentOf('sunny')).toEqual([{ type: 'text', text: 'sunny' }]);
    expect(
      mcpContentOf([
        { type: 'text', text: 'see' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
        { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
      ]),
    ).toEqual([
      { type: 'text', text: 'see' },
      { type: 'image', mimeType: 'image/png', data: 'AAAA' },
      { type: 'text', text: '[image: https://example.com/a.png]' },
    ]);
    expect(mcpContentOf([])).toEqual([{ type: 'text', text: '' }]);
  });

  it('picks the results of the awaited calls only, with is_error kept', () => {
    const results = toolResultsOf(
      [
        { role: 'tool', tool_call_id: 'a', content: 'A' },
        { role: 'tool', tool_call_id: 'b', content: 'B', is_error: true },
        { role: 'tool', tool_call_id: 'other', content: 'X' },
        { role: 'user', content: 'thanks' },
      ],
      new Set(['a', 'b', 'c']),
    );
    expect([...results.entries()]).toEqual([
      ['a', { content: [{ type: 'text', text: 'A' }], isError: false }],
      ['b', { content: [{ type: 'text', text: 'B' }], isError: true }],
    ]);
  });

  it('the Messages and Responses parsers keep images and is_error of tool results', () => {
    const image = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } };
    const { chat } = parseMessagesRequest({
      max_tokens: 10,
      messages: [
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'shot', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', is_error: true, content: [{ type: 'text', text: 'x' }, image] }] },
      ],
    });
    expect(chat.messages[1]).toEqual({ role: 'tool', tool_call_id: 't1', is_error: true, content: [{ type: 'text', text: 'x' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] });
    const responses = parseResponsesRequest({
      input: [
        { type: 'function_call', call_id: 'c1', name: 'shot', arguments: '{}' },
        { type: 'function_call_output', call_id: 'c1', output: [{ type: 'input_text', text: 'y' }, { type: 'input_image', image_url: 'data:image/png;base64,BBBB' }] },
      ],
    });
    expect(responses.chat.messages[1]).toEqual({ role: 'tool', tool_call_id: 'c1', content: [{ type: 'text', text: 'y' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,BBBB' } }] });
  });
});
