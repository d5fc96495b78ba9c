import { describe, expect, it } from 'vitest';
import { memoryBytes, parseProcStatus } from '../../src/process/proc-status.js';

const status = (lines: string[]) => `Name:\tnode\nState:\tS (sleeping)\n${lines.join('\n')}\nThreads:\t7\n`;

describe('worker memory from /proc/<pid>/status', () => {
  it.each([
    [['VmRSS:\t   40348 kB', 'RssAnon:\t    6328 kB', 'RssFile:\t   34020 kB', 'RssShmem:\t     100 kB'], (6328 + 100) * 1024],
    [['VmRSS:\t   40348 kB', 'RssAnon:\t       0 kB', 'RssShmem:\t       0 kB'], 0],
    [['VmRSS:\t   40348 kB'], 40348 * 1024],
    [['VmRSS:\t   40348 kB', 'RssAnon:\t    10 kB'], 10 * 1024],
    [[], null],
  ] as const)('%o → %s bytes (RssAnon + RssShmem; VmRSS only when both are absent)', (lines, expected) => {
    expect(memoryBytes(parseProcStatus(status([...lines])))).toBe(expected);
  });

  it('a field value of 0 is present, not missing', () => {
    expect(parseProcStatus(status(['RssAnon:\t0 kB', 'RssShmem:\t0 kB', 'VmRSS:\t500 kB']))).toEqual({ rssAnonKb: 0, rssShmemKb: 0, vmRssKb: 500 });
  });
});
