import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../src/errors.js';
import { parseCompletionsRequest } from '../../../src/http/completions/completions-request.js';

describe('a legacy completions request reduced to chat bodies', () => {
  it('one body per prompt × n, each a user message without n', () => {
    const { choices } = parseCompletionsRequest({ model: 'm', prompt: ['a', 'b'], n: 2, max_tokens: 5, stop: '\n' });
    expect(choices.map((c) => c.messages)).toEqual([[{ role: 'user', content: 'a' }], [{ role: 'user', content: 'a' }], [{ role: 'user', content: 'b' }], [{ role: 'user', content: 'b' }]]);
    expect(choices.every((c) => c.n === undefined && c.max_tokens === 5 && c.stop === '\n')).toBe(true);
  });

  it.each([
    [{}, 'prompt'],
    [{ prompt: [1, 2, 3] }, 'prompt'],
    [{ prompt: [] }, 'prompt'],
    [{ prompt: 'x', suffix: 'y' }, 'suffix'],
    [{ prompt: 'x', echo: true }, 'echo'],
    [{ prompt: 'x', best_of: 3 }, 'best_of'],
    [{ prompt: 'x', logprobs: 2 }, 'logprobs'],
    [{ prompt: 'x', n: 0 }, 'n'],
    [{ prompt: Array.from({ length: 9 }, () => 'p'), n: 2 }, 'prompt'],
    [{ prompt: 'x', stop: [1] }, 'stop'],
  ])('%j is refused naming %s', (raw, field) => {
    expect(() => parseCompletionsRequest(raw)).toThrow(InvalidRequestError);
    try {
      parseCompletionsRequest(raw);
    } catch (error) {
      expect((error as InvalidRequestError).field).toBe(field);
    }
  });
});
