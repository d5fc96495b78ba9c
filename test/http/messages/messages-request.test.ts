import { describe, expect, it } from 'vitest';
import { parseMessagesRequest } from '../../../src/http/messages/messages-request.js';

describe('an Anthropic Messages request reduced to a chat body', () => {
  it('system, text, images, tool_use and tool_result blocks map onto chat messages', () => {
    const { chat, stream } = parseMessagesRequest({
      model: 'claude',
      max_tokens: 100,
      stream: true,
      system: [{ type: 'text', text: 'be brief' }],
      stop_sequences: ['END'],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } }] },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'hm' }, { type: 'text', text: 'let me look' }, { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'x' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'a cat' }] }, { type: 'text', text: 'so?' }] },
      ],
      tools: [{ name: 'lookup', description: 'look up', input_schema: { type: 'object' } }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      metadata: { user_id: 'u1' },
    });
    expect(stream).toBe(true);
    expect(chat).toEqual({
      model: 'claude',
      stream: true,
      max_tokens: 100,
      stop: ['END'],
      user: 'u1',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
        { role: 'assistant', content: 'let me look', tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }] },
        { role: 'tool', tool_call_id: 'toolu_1', content: 'a cat' },
        { role: 'user', content: 'so?' },
      ],
      tools: [{ type: 'function', function: { name: 'lookup', description: 'look up', parameters: { type: 'object' } } }],
      tool_choice: 'required',
      parallel_tool_calls: false,
    });
  });

  it.each([
    [{ messages: [] }, 'messages'],
    [{ messages: [{ role: 'system', content: 'x' }] }, 'messages[0].role'],
    [{ max_tokens: 0, messages: [{ role: 'user', content: 'x' }] }, 'max_tokens'],
    [{ messages: [{ role: 'user', content: [{ type: 'document' }] }] }, 'messages[0].content[0].source'],
    [{ messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'audio' }] }] }] }, 'messages[0].content[0].content[0].type'],
    [{ messages: [{ role: 'user', content: [{ type: 'tool_use', id: 'a', name: 'b' }] }] }, 'messages[0].content[0].type'],
    [{ messages: [{ role: 'user', content: 'x' }], tools: [{ type: 7, name: 'bash' }] }, 'tools[0].type'],
    [{ messages: [{ role: 'user', content: 'x' }], tools: [{ name: 'f' }] }, 'tools[0].input_schema'],
    [{ messages: [{ role: 'user', content: 'x' }], tool_choice: { type: 'sometimes' } }, 'tool_choice.type'],
    [{ messages: [{ role: 'user', content: 'x' }], system: 5 }, 'system'],
  ])('%j is refused naming %s', (raw, field) => {
    expect(() => parseMessagesRequest(raw)).toThrow(expect.objectContaining({ kind: 'invalid_request', field }));
  });
});
