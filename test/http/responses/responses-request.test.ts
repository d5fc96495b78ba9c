import { describe, expect, it } from 'vitest';
import { createRecentItems } from '../../../src/http/responses/recent-items.js';
import { parseResponsesRequest } from '../../../src/http/responses/responses-request.js';

describe('a Responses request reduced to a chat body', () => {
  it('instructions become the system message; function_call items one assistant message; outputs tool messages', () => {
    const { chat } = parseResponsesRequest({
      model: 'm',
      instructions: 'be brief',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'weather in ' }, { type: 'input_text', text: 'Paris and Oslo?' }] },
        { type: 'function_call', call_id: 'c1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call', call_id: 'c2', name: 'get_weather', arguments: '{"city":"Oslo"}' },
        { type: 'function_call_output', call_id: 'c1', output: 'sunny' },
        { type: 'function_call_output', call_id: 'c2', output: [{ type: 'input_text', text: 'rain' }] },
      ],
      tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' }, strict: true }],
      tool_choice: { type: 'function', name: 'get_weather' },
      max_output_tokens: 50,
      text: { format: { type: 'json_schema', name: 'w', schema: { type: 'object' } } },
    });
    expect(chat).toEqual({
      model: 'm',
      stream: false,
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'weather in Paris and Oslo?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'c2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
        { role: 'tool', tool_call_id: 'c2', content: 'rain' },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' }, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      max_completion_tokens: 50,
      response_format: { type: 'json_schema', json_schema: { name: 'w', schema: { type: 'object' } } },
    });
  });

  it('an item_reference to a remembered output item becomes that item', () => {
    const recent = createRecentItems(2);
    recent.remember([{ type: 'message', id: 'msg_1', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'earlier answer', annotations: [] }] }]);
    const { chat } = parseResponsesRequest({ input: [{ role: 'user', content: 'q' }, { type: 'item_reference', id: 'msg_1' }, { role: 'user', content: 'next' }] }, recent);
    expect(chat.messages[1]).toEqual({ role: 'assistant', content: 'earlier answer' });
  });

  it('the memory is bounded: the oldest items are forgotten first', () => {
    const recent = createRecentItems(2);
    recent.remember([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
    expect([recent.find('a'), recent.find('b')?.item, recent.find('c')?.item]).toEqual([undefined, { id: 'b' }, { id: 'c' }]);
  });

  it.each([
    [{ input: 'x', store: true }, 'store'],
    [{ input: 'x', previous_response_id: 'resp_1' }, 'previous_response_id'],
    [{ input: 'x', conversation: 'conv_1' }, 'conversation'],
    [{}, 'input'],
    [{ input: 42 }, 'input'],
    [{ input: [{ role: 'robot', content: 'x' }] }, 'input[0].role'],
    [{ input: [{ role: 'user', content: [{ type: 'input_audio' }] }] }, 'input[0].content[0].type'],
    [{ input: [{ type: 'function_call', name: 'f', arguments: '{}' }] }, 'input[0].call_id'],
    [{ input: 'x', tools: [{ name: 'untyped' }] }, 'tools[0].type'],
    [{ input: 'x', tool_choice: { type: 'file_search' } }, 'tool_choice'],
    [{ input: 'x', max_output_tokens: 0 }, 'max_output_tokens'],
    [{ input: 'x', instructions: 3 }, 'instructions'],
  ])('%j is refused naming %s', (raw, field) => {
    expect(() => parseResponsesRequest(raw)).toThrow(expect.objectContaining({ kind: 'invalid_request', field }));
  });
});
