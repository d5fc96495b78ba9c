import { spawn } from 'node:child_process';
import { once } from 'node:events';
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

const { sampleTreeMemory, treeMemoryBytes } = await import('../../src/process/process-table.js');

// A parent whose child holds 64 MiB it has written to, and says so once it has.
const GRANDPARENT = `
const { spawn } = require('node:child_process');
const child = spawn(process.execPath, ['-e', "globalThis.b = Buffer.alloc(64 << 20, 1); console.log('holding'); setInterval(() => {}, 1000)"], { stdio: ['ignore', 'inherit', 'inherit'] });
process.on('SIGTERM', () => { child.kill('SIGKILL'); process.exit(0); });
setInterval(() => {}, 1000);
`;

describe('sampling a worker tree for the memory poller', () => {
  beforeEach(() => {
    fsState.exhausted = false;
  });

  it('measures the tree when /proc can be read', () => {
    expect(sampleTreeMemory(process.pid, { log: () => undefined })).toBeGreaterThan(0);
  });

  it("counts the memory of the worker's descendants, not only its own", async () => {
    const parent = spawn(process.execPath, ['-e', GRANDPARENT], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [chunk] = (await once(parent.stdout!, 'data')) as [Buffer];
      expect(chunk.toString()).toContain('holding');
      const tree = treeMemoryBytes(parent.pid!);
      expect(tree).toBeGreaterThan(64 << 20);
    } finally {
      parent.kill('SIGTERM');
      await once(parent, 'exit');
    }
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
