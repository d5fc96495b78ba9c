import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, workerTree } from './process-table.js';
import type { WorkerProcess } from './worker-process.js';

export class ProcessSurvivedError extends Error {
  readonly kind = 'process_survived' as const;
  constructor(readonly pids: number[]) {
    super(`worker processes ${pids.join(', ')} are still alive after SIGKILL`);
    this.name = 'ProcessSurvivedError';
  }
}

function signalTree(rootPid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-rootPid, signal);
  } catch {
    // ESRCH: the group is already empty.
  }
  for (const entry of workerTree(rootPid)) {
    try {
      process.kill(entry.pid, signal);
    } catch {
      // Already gone.
    }
  }
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await sleep(Math.min(25, Math.max(1, deadline - Date.now())));
  }
  return check();
}

const KILL_WAIT_MS = 3000;

// SIGTERM to the group → grace → SIGKILL to the group; resolves once the leader has exited and no
// process of its tree is left. An already-dead leader returns at once (its leftovers get SIGKILL).
export async function stopProcessTree(worker: WorkerProcess, graceMs: number): Promise<void> {
  const pid = worker.pid;
  worker.markRequested();
  if (pid === null) return;
  const treeGone = () => workerTree(pid).every((entry) => !isAlive(entry.pid));
  if (!worker.hasExited()) {
    signalTree(pid, 'SIGTERM');
    const exitedInGrace = await Promise.race([worker.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!exitedInGrace) signalTree(pid, 'SIGKILL');
    await Promise.race([worker.exited, sleep(KILL_WAIT_MS)]);
  }
  if (!treeGone()) {
    signalTree(pid, 'SIGKILL');
    await waitUntil(treeGone, KILL_WAIT_MS);
  }
  const survivors = workerTree(pid).map((entry) => entry.pid);
  if (!worker.hasExited() || survivors.length > 0) throw new ProcessSurvivedError(survivors.length ? survivors : [pid]);
}
