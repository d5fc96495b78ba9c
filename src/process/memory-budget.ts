import { readFileSync } from 'node:fs';

/** The share of the available memory the default budget takes. */
export const DEFAULT_BUDGET_SHARE = 0.5;

const readOr = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};

/** Bytes a cgroup v2 may still take (memory.max − memory.current); null without a limit. */
export function cgroupAvailable(max: string | null, current: string | null): number | null {
  const limit = max?.trim();
  if (!limit || limit === 'max' || !/^\d+$/.test(limit)) return null;
  const used = current && /^\d+$/.test(current.trim()) ? Number(current.trim()) : 0;
  return Math.max(0, Number(limit) - used);
}

/** MemAvailable of /proc/meminfo in bytes; null when absent. */
export function memAvailable(meminfo: string | null): number | null {
  const match = /^MemAvailable:\s+(\d+)\s+kB/m.exec(meminfo ?? '');
  return match ? Number(match[1]) * 1024 : null;
}

// The workers' default memory budget, read once at start: half of what is available, the cgroup's
// room or the machine's MemAvailable, whichever is less (1 GiB when neither can be read).
export function defaultMemoryBudgetBytes(read: (path: string) => string | null = readOr): number {
  const candidates = [
    cgroupAvailable(read('/sys/fs/cgroup/memory.max'), read('/sys/fs/cgroup/memory.current')),
    memAvailable(read('/proc/meminfo')),
  ].filter((bytes): bytes is number => bytes !== null);
  const available = candidates.length > 0 ? Math.min(...candidates) : 2 * 1024 ** 3;
  return Math.floor(available * DEFAULT_BUDGET_SHARE);
}
