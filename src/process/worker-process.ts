import { execa } from 'execa';
import type { Readable, Writable } from 'node:stream';
import { workerEnvironment } from './worker-env.js';

export interface SpawnSpec {
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** The port a server-style worker was told to listen on (openai-http). */
  port?: number;
}

/** What the operating system told us about the end of a process: plain facts, no classification. */
export interface ExitFacts {
  code: number | null;
  signal: string | null;
  spawnError: string | null;
  runDurationMs: number;
}

export interface WorkerProcess {
  /** null when the spawn failed. */
  readonly pid: number | null;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  readonly startedAt: number;
  /** Resolves once, when the process has exited or failed to spawn; never rejects. */
  readonly exited: Promise<ExitFacts>;
  hasExited(): boolean;
  /** lifeguard asked for this exit: it will be classified `requested`, never a crash. */
  markRequested(): void;
  isRequested(): boolean;
}

// Spawns the worker as the leader of its own process group, so the whole tree can be signalled.
// Exit is taken from the child's 'exit' event (or its spawn error), never from the end of its
// output: a grandchild holding stdout open must not hide the exit of the worker.
export function spawnWorkerProcess(spec: SpawnSpec): WorkerProcess {
  const startedAt = Date.now();
  const subprocess = execa(spec.command, spec.args, {
    detached: true,
    cleanup: false,
    reject: false,
    buffer: false,
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    extendEnv: false,
    env: workerEnvironment(process.env, spec.env),
    ...(spec.cwd ? { cwd: spec.cwd } : {}),
  });
  let requested = false;
  let exitedAlready = false;
  const exited = new Promise<ExitFacts>((resolve) => {
    const finish = (facts: Omit<ExitFacts, 'runDurationMs'>) => {
      if (exitedAlready) return;
      exitedAlready = true;
      resolve({ ...facts, runDurationMs: Date.now() - startedAt });
    };
    subprocess.once('exit', (code, signal) => finish({ code, signal, spawnError: null }));
    subprocess.once('error', (error: NodeJS.ErrnoException) => {
      // An 'error' after a successful spawn (a failed kill) is not an exit.
      if (subprocess.pid === undefined) finish({ code: null, signal: null, spawnError: error.code ?? 'ESPAWN' });
    });
  });
  // The result promise settles when the streams close; nothing waits on it, but it must not reject.
  subprocess.catch(() => undefined);
  for (const stream of [subprocess.stdin, subprocess.stdout, subprocess.stderr]) stream?.on('error', () => undefined);

  return {
    pid: subprocess.pid ?? null,
    stdin: subprocess.stdin,
    stdout: subprocess.stdout,
    stderr: subprocess.stderr,
    startedAt,
    exited,
    hasExited: () => exitedAlready,
    markRequested: () => {
      requested = true;
    },
    isRequested: () => requested,
  };
}
