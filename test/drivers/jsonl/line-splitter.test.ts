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

describe('an over-long line', () => {
  it("is reported with its first bytes, so the request it belongs to can be named", () => {
    const heads: string[] = [];
    const splitter = createLineSplitter(16, () => undefined, (_bytes, head) => heads.push(head));
    splitter.push('{"type":"delta",');
    splitter.push('"id":"r1","content":"xxxxxxxx"}\nok\n');
    expect(heads).toEqual(['{"type":"delta","id":"r1","content":"xxxxxxxx"}']);
  });

  it('names its request only by a real "id" key, never by text that mentions one', async () => {
    const { lineId } = await import('../../../src/drivers/jsonl/jsonl-driver.js');
    expect(lineId('{"type":"delta","id":"req-1","content":"aaa')).toBe('req-1');
    expect(lineId('{"type":"delta","content":"say \\"id\\":\\"x\\" and')).toBeNull();
    expect(lineId('xxxxxxxxxxxx')).toBeNull();
  });
});
