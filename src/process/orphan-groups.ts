import { setTimeout as sleep } from 'node:timers/promises';
import { listProcesses, workerTree, type ProcessEntry } from './process-table.js';

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

// Ends what a dead lifeguard's workers left behind: SIGKILL to each recorded group still there and to
// every descendant of it, then waits (bounded) for them to go. Returns the pids it signalled.
export async function endOrphanGroups(groups: OrphanGroup[]): Promise<number[]> {
  const targets = (table: ProcessEntry[]) => groups.flatMap((group) => survivorsOf(group, table));
  const signalled = targets(listProcesses()).map((entry) => entry.pid);
  if (signalled.length === 0) return [];
  for (const group of groups) {
    if (survivorsOf(group, listProcesses()).length === 0) continue;
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
  while (Date.now() < deadline && targets(listProcesses()).length > 0) await sleep(25);
  return signalled;
}

// Whether anything of a recorded group is still alive.
export const groupAlive = (group: OrphanGroup, table: ProcessEntry[] = listProcesses()) => survivorsOf(group, table).length > 0;
