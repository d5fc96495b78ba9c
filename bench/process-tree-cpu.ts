// CPU seconds of a process tree from /proc: the root's own utime+stime and that of every live
// descendant, plus what each of them reaped (cutime+cstime: children that exited and were waited for —
// a CLI process lifeguard replaced, a worker a forwarder restarted). Linux only.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

export const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

interface ProcStat {
  ppid: number;
  /** utime + stime, in clock ticks. */
  own: number;
  /** cutime + cstime, in clock ticks. */
  reaped: number;
}

function readStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), own: Number(fields[11]) + Number(fields[12]), reaped: Number(fields[13]) + Number(fields[14]) };
  } catch {
    return null; // it exited meanwhile
  }
}

/** Every live process's stat, by pid (one scan of /proc, shared by the trees read from it). */
export function scanProc(): Map<number, ProcStat> {
  const stats = new Map<number, ProcStat>();
  for (const name of readdirSync('/proc')) {
    if (name.charCodeAt(0) > 57) continue; // not a pid
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const stat = readStat(pid);
    if (stat) stats.set(pid, stat);
  }
  return stats;
}

/** The pids of root and its live descendants. */
export function treeOf(root: number, stats: Map<number, ProcStat> = scanProc()): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, stat] of stats) {
    const list = children.get(stat.ppid);
    if (list) list.push(pid);
    else children.set(stat.ppid, [pid]);
  }
  const tree: number[] = [];
  const todo = [root];
  while (todo.length) {
    const pid = todo.pop()!;
    if (!stats.has(pid)) continue;
    tree.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** CPU seconds so far of root's tree (its live processes' own and reaped CPU); 0 if root is gone. */
export function treeCpuSeconds(root: number, stats: Map<number, ProcStat> = scanProc()): number {
  let ticks = 0;
  for (const pid of treeOf(root, stats)) ticks += stats.get(pid)!.own + stats.get(pid)!.reaped;
  return ticks / ticksPerSecond;
}

/** CPU seconds of one process alone (no descendants). */
export function processCpuSeconds(pid: number): number {
  const stat = readStat(pid);
  return stat ? stat.own / ticksPerSecond : Number.NaN;
}

/** The load average as `uptime` prints it (1, 5, 15 minutes). */
export const loadAverage = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
