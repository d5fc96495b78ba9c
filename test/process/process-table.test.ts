import { beforeEach, describe, expect, it, vi } from 'vitest';

const fsState = vi.hoisted(() => ({ exhausted: false }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...fs,
    readdir: ((...args: Parameters<typeof fs.readdir>) => {
      if (fsState.exhausted) return Promise.reject(Object.assign(new Error('EMFILE: too many open files, scandir /proc'), { code: 'EMFILE' }));
      return fs.readdir(...args);
    }) as typeof fs.readdir,
  };
});

const { sampleTreeMemory } = await import('../../src/process/process-table.js');

describe('sampling a worker tree for the memory poller', () => {
  beforeEach(() => {
    fsState.exhausted = false;
  });

  it('measures the tree when /proc can be read', async () => {
    expect(await sampleTreeMemory(process.pid, { log: () => undefined })).toBeGreaterThan(0);
  });

  it('out of descriptors: a missed sample (null), reported once, never thrown', async () => {
    fsState.exhausted = true;
    const lines: string[] = [];
    const logger = { log: (marker: string, message: string) => void lines.push(`[${marker}] ${message}`) };
    expect(await sampleTreeMemory(process.pid, logger)).toBeNull();
    expect(await sampleTreeMemory(process.pid, logger)).toBeNull();
    expect(lines).toEqual(['[ERROR] out of file descriptors (EMFILE) in the memory poller (/proc): lifeguard carries on; raise the limit (ulimit -n) or lower max_connections']);
  });
});
