import { describe, expect, it } from 'vitest';
import { createLineSplitter } from '../../../src/drivers/jsonl/line-splitter.js';

function split(chunks: Array<string | Buffer>, maxBytes = 16) {
  const lines: string[] = [];
  const overlong: number[] = [];
  const splitter = createLineSplitter(maxBytes, (l) => lines.push(l), (n) => overlong.push(n));
  for (const chunk of chunks) splitter.push(chunk);
  splitter.flush();
  return { lines, overlong };
}

describe('line framing', () => {
  it('joins a line split across chunks', () => {
    expect(split(['{"a":', '1}\n{"b"', ':2}\n']).lines).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('splits several lines in one chunk and strips a CR', () => {
    expect(split(['a\r\nb\nc\n']).lines).toEqual(['a', 'b', 'c']);
  });

  it('keeps a multi-byte character split across chunks intact', () => {
    const bytes = Buffer.from('héllo\n');
    expect(split([bytes.subarray(0, 2), bytes.subarray(2)]).lines).toEqual(['héllo']);
  });

  it('skips a line longer than the limit, once, and resumes at the next newline', () => {
    const result = split(['x'.repeat(10), 'y'.repeat(10), 'z'.repeat(10), '\nok\n']);
    expect(result.lines).toEqual(['ok']);
    expect(result.overlong).toEqual([20]);
  });

  it('a final line without a newline is delivered on flush', () => {
    expect(split(['last']).lines).toEqual(['last']);
  });
});
