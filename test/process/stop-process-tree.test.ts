import { describe, expect, it } from 'vitest';
import { isAlive } from '../../src/process/process-table.js';
import { stopProcessTree } from '../../src/process/stop-process-tree.js';
import { spawnWorkerProcess } from '../../src/process/worker-process.js';
import { REFERENCE_WORKER, TEST_MARKER, fixture } from '../support/drivers.js';

describe('stopProcessTree (SIGTERM → grace → SIGKILL to the process group)', () => {
  it('a child that already exited returns at once', async () => {
    const child = spawnWorkerProcess({ command: process.execPath, args: ['-e', 'process.exit(3)'], env: TEST_MARKER });
    expect(await child.exited).toMatchObject({ code: 3, signal: null });
    // A grace of 60 s that it must not wait for: any bound far below it proves that, however busy the machine.
    const began = Date.now();
    await stopProcessTree(child, 60_000);
    expect(Date.now() - began).toBeLessThan(10_000);
  });

  it('a child that honours SIGTERM is gone well inside the grace', async () => {
    const child = spawnWorkerProcess({ command: process.execPath, args: [fixture('forever.mjs')], env: TEST_MARKER });
    const began = Date.now();
    await stopProcessTree(child, 60_000);
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(await child.exited).toMatchObject({ signal: 'SIGTERM' });
    expect(child.isRequested()).toBe(true);
  });

  it('a child that ignores SIGTERM is SIGKILLed after the grace', async () => {
    const child = spawnWorkerProcess({ command: process.execPath, args: [REFERENCE_WORKER], env: { ...TEST_MARKER, REF_WORKER_FAULT: 'ignore-sigterm' } });
    await new Promise((resolve) => child.stdout!.once('data', resolve));
    const began = Date.now();
    await stopProcessTree(child, 300);
    expect(Date.now() - began).toBeGreaterThanOrEqual(290);
    expect(await child.exited).toMatchObject({ signal: 'SIGKILL' });
    expect(isAlive(child.pid!)).toBe(false);
  });

  it('a spawn failure is an exit with the error code, never a hang', async () => {
    const child = spawnWorkerProcess({ command: '/nonexistent/binary', args: [] });
    expect(child.pid).toBeNull();
    expect(await child.exited).toMatchObject({ code: null, signal: null, spawnError: 'ENOENT' });
    await stopProcessTree(child, 5000);
  });
});
