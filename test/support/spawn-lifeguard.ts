import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REFERENCE_WORKER, TEST_MARKER } from './drivers.js';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export interface SpawnedLifeguard {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the URL once lifeguard logs that it listens. */
  listening: Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export const tempLockFile = () => join(mkdtempSync(join(tmpdir(), 'lifeguard-cli-')), 'lock');

export interface SpawnOptions {
  /** Run under `ulimit -n` of this many descriptors. */
  fileLimit?: number;
  /** lifeguard's own environment, over the test's. */
  env?: Record<string, string>;
}

// The real lifeguard command (src/main.ts under tsx) as a child process.
export function spawnLifeguard(flags: string[], workerEnv: Record<string, string> = {}, options: SpawnOptions = {}): SpawnedLifeguard {
  const envArgs = Object.entries({ ...TEST_MARKER, ...workerEnv }).map(([k, v]) => `${k}=${v}`);
  const hasCommand = flags.includes('--');
  const args = ['--import', 'tsx', MAIN, ...flags, ...(hasCommand ? [] : ['--', 'env', ...envArgs, process.execPath, REFERENCE_WORKER])];
  const env = { ...process.env, ...TEST_MARKER, ...options.env };
  const child =
    options.fileLimit === undefined
      ? spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('sh', ['-c', `ulimit -n ${options.fileLimit} && exec "$@"`, 'sh', process.execPath, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const listening = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const match = /listening on (http:\/\/[^\s]+)/.exec(text);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`lifeguard exited (${code}) before listening:\n${text}`)));
  });
  listening.catch(() => undefined);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, output: () => text, listening, exited };
}
