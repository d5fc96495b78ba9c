import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { Logger } from '../util/logger.js';
import { isDescriptorExhaustion, reportDescriptorExhaustion } from '../util/descriptor-exhaustion.js';
import { memoryBytes, parseProcStatus } from './proc-status.js';

export interface ProcessEntry {
  pid: number;
  ppid: number;
  pgrp: number;
  /** R, S, D, Z, … from /proc/<pid>/stat. */
  state: string;
  /** Clock ticks after boot when the process started: with the pid, it names one process for good. */
  startTime: number;
}

function readEntry(pid: number): ProcessEntry | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may itself contain spaces or parentheses.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, state: rest[0] ?? '?', ppid: Number(rest[1]), pgrp: Number(rest[2]), startTime: Number(rest[19]) };
  } catch {
    return null;
  }
}

export function listProcesses(): ProcessEntry[] {
  const entries: ProcessEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const entry = readEntry(Number(name));
    if (entry) entries.push(entry);
  }
  return entries;
}

// Every live process in the group, or descended from the root: the worker's whole tree, including
// grandchildren that left the group and children of a leader that has already exited.
export function workerTree(rootPid: number, table: ProcessEntry[] = listProcesses()): ProcessEntry[] {
  const found = new Map<number, ProcessEntry>();
  for (const entry of table) if (entry.pgrp === rootPid || entry.pid === rootPid) found.set(entry.pid, entry);
  let grew = true;
  while (grew) {
    grew = false;
    for (const entry of table) {
      if (!found.has(entry.pid) && found.has(entry.ppid)) {
        found.set(entry.pid, entry);
        grew = true;
      }
    }
  }
  return [...found.values()].filter((entry) => entry.state !== 'Z');
}

// The start time of a live process (see ProcessEntry.startTime), or null when there is none.
export function startTimeOf(pid: number): number | null {
  const entry = readEntry(pid);
  return entry === null || entry.state === 'Z' ? null : entry.startTime;
}

export function isAlive(pid: number): boolean {
  const entry = readEntry(pid);
  return entry !== null && entry.state !== 'Z';
}

/** Whether this kernel lists each thread's children (CONFIG_PROC_CHILDREN). */
const HAS_CHILDREN_FILES = existsSync(`/proc/self/task/${process.pid}/children`);
/** A bound on the processes one walk visits (a fork bomb in a worker must not stall the poller). */
const MAX_TREE = 4096;

// A process and its live descendants, through /proc/<pid>/task/<tid>/children: a few reads per process
// of the tree, where workerTree reads every process on the host — the memory poller runs every second
// for every worker, and a host with hundreds of processes made that scan a cost of its own. Unlike
// workerTree it misses a grandchild whose parent already exited (reparented away from the tree); the
// poller can live with that, stopping a tree cannot.
function descendantsOf(rootPid: number): number[] {
  const found = [rootPid];
  for (let i = 0; i < found.length && found.length < MAX_TREE; i++) {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${found[i]}/task`);
    } catch (error) {
      if (isDescriptorExhaustion(error)) throw error;
      continue; // It ended meanwhile.
    }
    for (const tid of tasks) {
      let children: string;
      try {
        children = readFileSync(`/proc/${found[i]}/task/${tid}/children`, 'utf8');
      } catch (error) {
        if (isDescriptorExhaustion(error)) throw error;
        continue;
      }
      for (const child of children.split(' ')) if (child.trim() !== '') found.push(Number(child));
    }
  }
  return found;
}

// The worker tree's memory: RssAnon + RssShmem summed over its processes.
export function treeMemoryBytes(rootPid: number): number | null {
  let total: number | null = null;
  const pids = HAS_CHILDREN_FILES ? descendantsOf(rootPid) : workerTree(rootPid).map((entry) => entry.pid);
  for (const pid of pids) {
    try {
      const bytes = memoryBytes(parseProcStatus(readFileSync(`/proc/${pid}/status`, 'utf8')));
      if (bytes !== null) total = (total ?? 0) + bytes;
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return total;
}

// treeMemoryBytes for a timer: a failed scan of /proc (out of descriptors, say) is a missed sample,
// reported, never an exception thrown from the timer.
export function sampleTreeMemory(rootPid: number, logger: Logger): number | null {
  try {
    return treeMemoryBytes(rootPid);
  } catch (error) {
    if (isDescriptorExhaustion(error)) reportDescriptorExhaustion(logger, 'the memory poller (/proc)', error);
    else logger.log('ERROR', `cannot sample worker memory: ${(error as Error).message}`);
    return null;
  }
}
