import { describe, expect, it } from 'vitest';
import { argumentsObject, createAnswerCollector } from '../../src/http/collect-answer.js';

describe('folding an answer from its events', () => {
  it('appends text and tool-call arguments by index, and merges pass-through fields level by level', () => {
    const collector = createAnswerCollector();
    collector.add({ type: 'delta', content: 'Hel', passThrough: { chunk: { system_fingerprint: 'fp' }, choice: { logprobs: { content: [{ token: 'Hel' }] } }, delta: { reasoning_content: 'think' } } });
    collector.add({ type: 'delta', content: 'lo', passThrough: { chunk: { system_fingerprint: 'fp' }, choice: { logprobs: { content: [{ token: 'lo' }] } }, delta: { reasoning_content: 'ing' } } });
    collector.add({ type: 'tool_call', call: { index: 1, id: 'b', type: 'function', function: { name: 'g', arguments: '{' } } });
    collector.add({ type: 'tool_call', call: { index: 0, id: 'a', type: 'function', function: { name: 'f', arguments: '{"x"' } } });
    collector.add({ type: 'tool_call', call: { index: 0, function: { arguments: ':1}' } } });
    collector.add({ type: 'tool_call', call: { index: 1, function: { arguments: '}' } } });
    expect(collector.result()).toBeNull();
    collector.add({ type: 'done', finishReason: 'tool_calls', usage: { promptTokens: 1, completionTokens: 2 }, context: null, passThrough: { chunk: { timings: { n: 2 } } } });
    expect(collector.result()).toEqual({
      content: 'Hello',
      toolCalls: [
        { id: 'a', type: 'function', function: { name: 'f', arguments: '{"x":1}' } },
        { id: 'b', type: 'function', function: { name: 'g', arguments: '{}' } },
      ],
      finishReason: 'tool_calls',
      usage: { promptTokens: 1, completionTokens: 2 },
      context: null,
      passThrough: {
        chunk: { system_fingerprint: 'fp', timings: { n: 2 } },
        choice: { logprobs: { content: [{ token: 'Hel' }, { token: 'lo' }] } },
        delta: { reasoning_content: 'thinking' },
      },
    });
  });

  it.each([
    ['{"city":"Paris"}', { city: 'Paris' }],
    ['', {}],
    ['[1]', { _raw: '[1]' }],
    ['{"broken', { _raw: '{"broken' }],
  ])('tool arguments %j as an object: %j', (text, expected) => {
    expect(argumentsObject(text)).toEqual(expected);
  });
});
