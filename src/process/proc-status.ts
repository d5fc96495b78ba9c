export interface ProcMemory {
  rssAnonKb: number | null;
  rssShmemKb: number | null;
  vmRssKb: number | null;
}

function field(status: string, name: string): number | null {
  const match = new RegExp(`^${name}:\\s+(\\d+)\\s*kB`, 'm').exec(status);
  return match ? Number(match[1]) : null;
}

// The fields of /proc/<pid>/status that measure memory; a missing field is null, never 0.
export function parseProcStatus(status: string): ProcMemory {
  return { rssAnonKb: field(status, 'RssAnon'), rssShmemKb: field(status, 'RssShmem'), vmRssKb: field(status, 'VmRSS') };
}

// RssAnon + RssShmem (what the process itself owns); VmRSS only when those fields are absent,
// since VmRSS also counts shared file pages such as the runtime's own binary.
export function memoryBytes(memory: ProcMemory): number | null {
  if (memory.rssAnonKb !== null || memory.rssShmemKb !== null) {
    return ((memory.rssAnonKb ?? 0) + (memory.rssShmemKb ?? 0)) * 1024;
  }
  return memory.vmRssKb === null ? null : memory.vmRssKb * 1024;
}
