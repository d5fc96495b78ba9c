import { describe, expect, it } from 'vitest';
import { extractJson } from '../../src/structured/extract-json.js';

describe('extractJson finds the JSON a model wrote', () => {
  it.each([
    ['a bare object', '{"a":1}', { a: 1 }],
    ['an object with whitespace around it', '\n  {"a": [1, 2]}  \n', { a: [1, 2] }],
    ['a ```json fence inside prose', 'Here it is:\n```json\n{"a": 1}\n```\nDone.', { a: 1 }],
    ['a bare ``` fence', '```\n{"b": true}\n```', { b: true }],
    ['an object inside prose', 'Sure! {"a": "x"} Hope this helps.', { a: 'x' }],
    ['braces inside strings', 'Result: {"text": "a } and { b", "n": 1}.', { text: 'a } and { b', n: 1 }],
    ['escaped quotes inside strings', 'x {"q": "say \\"hi\\" }"} y', { q: 'say "hi" }' }],
    ['a stray brace before the object', 'Use {curly} braces: {"a": 2}', { a: 2 }],
    ['an object before an array in prose', 'Items [1] and {"a": 3}', { a: 3 }],
    ['an array when there is no object', 'The list: [1, 2, 3].', [1, 2, 3]],
    ['a fence that does not parse, then an object in prose', '```\nnot json\n```\n{"a": 4}', { a: 4 }],
    ['a bare JSON string', '"just a string"', 'just a string'],
  ])('%s', (_, answer, expected) => {
    expect(extractJson(answer)).toEqual({ value: expected });
  });

  it.each([
    ['prose only', 'I cannot answer that.'],
    ['an object that never closes', 'Here: {"a": 1'],
    ['an empty answer', ''],
    ['broken JSON in a fence', '```json\n{a: 1}\n```'],
  ])('none in %s', (_, answer) => {
    expect(extractJson(answer)).toBeNull();
  });
});
