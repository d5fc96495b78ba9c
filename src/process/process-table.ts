import { readdirSync, readFileSync } from 'node:fs';
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

// The worker tree's memory: RssAnon + RssShmem summed over its processes.
export function treeMemoryBytes(rootPid: number): number | null {
  let total: number | null = null;
  for (const entry of workerTree(rootPid)) {
    try {
      const bytes = memoryBytes(parseProcStatus(readFileSync(`/proc/${entry.pid}/status`, 'utf8')));
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
