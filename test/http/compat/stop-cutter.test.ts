import { describe, expect, it } from 'vitest';
import { StopCutter } from '../../../src/http/compat/stop-cutter.js';

// Feeds the deltas, then flushes: what reached the client, and why it ended (if it was cut).
function cut(stops: string[], deltas: string[], maxChars?: number) {
  const cutter = new StopCutter(stops, maxChars);
  let text = '';
  for (const delta of deltas) {
    const piece = cutter.push(delta);
    text += piece.text;
    if (piece.reason) return { text, reason: piece.reason };
  }
  const rest = cutter.flush();
  return { text: text + rest.text, reason: rest.reason ?? null };
}

describe('the stop cutter', () => {
  it.each([
    ['no stop sequence: everything, in order', [], ['Echo: ', 'one ', 'two'], undefined, { text: 'Echo: one two', reason: null }],
    ['a sequence inside one delta', ['two'], ['Echo: ', 'one two ', 'three'], undefined, { text: 'Echo: one ', reason: { kind: 'stop', sequence: 'two' } }],
    ['a sequence split across two deltas', ['o t'], ['Echo: ', 'one tw', 'o three'], undefined, { text: 'Echo: one tw', reason: { kind: 'stop', sequence: 'o t' } }],
    ['a sequence split across three deltas', ['abc'], ['xa', 'b', 'cy'], undefined, { text: 'x', reason: { kind: 'stop', sequence: 'abc' } }],
    ['the earliest of several sequences wins', ['three', 'one'], ['Echo: one two three'], undefined, { text: 'Echo: ', reason: { kind: 'stop', sequence: 'one' } }],
    ['a held-back tail that begins no sequence is sent at the end', ['xyz'], ['Echo: abcx', 'y'], undefined, { text: 'Echo: abcxy', reason: null }],
    ['the length limit cuts mid-delta', [], ['Echo: ', 'one two'], 9, { text: 'Echo: one', reason: { kind: 'length' } }],
    ['an answer exactly at the limit is not cut', [], ['Echo: ', 'one'], 9, { text: 'Echo: one', reason: null }],
    ['a stop sequence past the limit: the limit wins', ['two'], ['Echo: one two'], 7, { text: 'Echo: o', reason: { kind: 'length' } }],
    ['a sequence at the very start leaves nothing', ['Echo'], ['Echo: one'], undefined, { text: '', reason: { kind: 'stop', sequence: 'Echo' } }],
    ['empty sequences are ignored', [''], ['Echo: one'], undefined, { text: 'Echo: one', reason: null }],
  ])('%s', (_name, stops, deltas, maxChars, expected) => {
    expect(cut(stops as string[], deltas as string[], maxChars as number | undefined)).toEqual(expected);
  });

  it('sends nothing once it has cut', () => {
    const cutter = new StopCutter(['b']);
    expect(cutter.push('ab')).toEqual({ text: 'a', reason: { kind: 'stop', sequence: 'b' } });
    expect(cutter.over).toBe(true);
    expect(cutter.push('more')).toEqual({ text: '' });
    expect(cutter.flush()).toEqual({ text: '' });
  });

  it('holds back no more than the longest sequence less one character', () => {
    const cutter = new StopCutter(['abcd', 'x']);
    expect(cutter.push('hello abc')).toEqual({ text: 'hello ' });
  });
});
