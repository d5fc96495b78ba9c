import { fileURLToPath } from 'node:url';
import { createJsonlDriver } from '../../src/drivers/jsonl/jsonl-driver.js';

export const REFERENCE_WORKER = fileURLToPath(new URL('../../workers/reference-worker.mjs', import.meta.url));
export const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

/** Every process a test starts carries this variable, so the suite's teardown can find leftovers;
 * its value names this run, so concurrent runs (other checkouts) never count each other's. */
export const TEST_MARKER = { LIFEGUARD_TEST_PROCESS: process.env.LIFEGUARD_TEST_RUN ?? '1' };

export function referenceDriver(env: Record<string, string> = {}, maxLineBytes = 64 * 1024) {
  return createJsonlDriver({
    spawn: { command: process.execPath, args: [REFERENCE_WORKER], env: { ...TEST_MARKER, ...env } },
    maxLineBytes,
  });
}

export function commandDriver(command: string, args: string[] = [], env: Record<string, string> = {}) {
  return createJsonlDriver({ spawn: { command, args, env: { ...TEST_MARKER, ...env } }, maxLineBytes: 64 * 1024 });
}
