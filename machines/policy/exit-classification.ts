export type ExitClass = 'clean' | 'crash' | 'requested';

export interface ExitFacts {
  code: number | null;
  signal: string | null;
  /** lifeguard asked for this exit (restart, drain, memory cap, shutdown, wedge). */
  requested: boolean;
  /** The process could not be spawned (ENOENT, EACCES, …). */
  spawnError?: string | null;
}

// docs/architecture.md: requested beats everything; otherwise exit code 0 is clean and anything else a crash.
export function classifyExit(facts: ExitFacts): ExitClass {
  if (facts.spawnError) return 'crash';
  if (facts.requested) return 'requested';
  if (facts.code === 0 && facts.signal === null) return 'clean';
  return 'crash';
}
