import { beforeEach, describe, expect, it, vi } from 'vitest';

const fsState = vi.hoisted(() => ({ exhausted: false }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    readdirSync: ((...args: Parameters<typeof fs.readdirSync>) => {
      if (fsState.exhausted) throw Object.assign(new Error('EMFILE: too many open files, scandir /proc'), { code: 'EMFILE' });
      return fs.readdirSync(...args);
    }) as typeof fs.readdirSync,
  };
});

const { sampleTreeMemory } = await import('../../src/process/process-table.js');

describe('sampling a worker tree for the memory poller', () => {
  beforeEach(() => {
    fsState.exhausted = false;
  });

  it('measures the tree when /proc can be read', () => {
    expect(sampleTreeMemory(process.pid, { log: () => undefined })).toBeGreaterThan(0);
  });

  it('out of descriptors: a missed sample (null), reported once, never thrown', () => {
    fsState.exhausted = true;
    const lines: string[] = [];
    const logger = { log: (marker: string, message: string) => void lines.push(`[${marker}] ${message}`) };
    expect(sampleTreeMemory(process.pid, logger)).toBeNull();
    expect(sampleTreeMemory(process.pid, logger)).toBeNull();
    expect(lines).toEqual(['[ERROR] out of file descriptors (EMFILE) in the memory poller (/proc): lifeguard carries on; raise the limit (ulimit -n) or lower max_connections']);
  });
});
