import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { listProcesses, workerTree, type ProcessEntry } from './process-table.js';
import { WORKER_MARK_VARIABLE } from './worker-env.js';

export interface OrphanGroup {
  pgid: number;
  /** The leader's start time when it was spawned (/proc/<pid>/stat field 22). */
  startTime: number;
}

const KILL_WAIT_MS = 3000;

// The processes of a recorded group that are still there. A leader alive with another start time is
// another process that was given the pid since: the old group is gone (Linux does not reuse a pid
// while it names a group), so nothing is returned and nothing unrelated is ever signalled.
export function survivorsOf(group: OrphanGroup, table: ProcessEntry[]): ProcessEntry[] {
  const leader = table.find((entry) => entry.pid === group.pgid);
  if (leader && leader.state !== 'Z' && leader.startTime !== group.startTime) return [];
  return workerTree(group.pgid, table);
}

// Whether a process carries a lifeguard's mark in its environment (/proc/<pid>/environ: readable for
// the processes of one's own user only, so another user's process never qualifies).
export function carriesMark(pid: number, mark: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`${WORKER_MARK_VARIABLE}=${mark}`);
  } catch {
    return false;
  }
}

// Ends what a dead lifeguard's workers left behind: SIGKILL to each recorded group still there and to
// every descendant of it, then waits (bounded) for them to go. Returns the pids it signalled. Only a
// process whose environment carries that lifeguard's mark is signalled (a lock file naming an unrelated
// process, with its real start time, gets nothing killed), and a group as a whole only when its leader
// carries it.
export async function endOrphanGroups(groups: OrphanGroup[], mark: string): Promise<number[]> {
  const targets = (table: ProcessEntry[]) => groups.flatMap((group) => survivorsOf(group, table)).filter((entry) => carriesMark(entry.pid, mark));
  const signalled = targets(listProcesses()).map((entry) => entry.pid);
  if (signalled.length === 0) return [];
  for (const group of groups) {
    if (!carriesMark(group.pgid, mark) || survivorsOf(group, listProcesses()).length === 0) continue;
    try {
      process.kill(-group.pgid, 'SIGKILL');
    } catch {
      // The group is empty: only descendants that left it remain.
    }
  }
  for (const pid of signalled) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  const deadline = Date.now() + KILL_WAIT_MS;
  while (Date.now() < deadline && targets(listProcesses()).some((entry) => signalled.includes(entry.pid))) await sleep(25);
  return signalled;
}

// Whether anything of a recorded group is still alive.
export const groupAlive = (group: OrphanGroup, table: ProcessEntry[] = listProcesses()) => survivorsOf(group, table).length > 0;
