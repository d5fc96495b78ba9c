import { closeSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { startTimeOf } from '../process/process-table.js';
import { lifeguardMark } from '../process/worker-env.js';
import { trustLockDirectory, trustLockFile } from './lock-trust.js';

export class LockHeldError extends Error {
  readonly kind = 'lock_held' as const;
}

/** A process group lifeguard started: its id (the leader's pid) and the leader's start time. */
export interface RecordedGroup {
  pgid: number;
  start_time: number;
}

/** What the lock file says: who holds it (pid and start time), the mark its workers carry, and the groups it started. */
export interface LockRecord {
  pid: number;
  start_time: number | null;
  /** LIFEGUARD_WORKER_OF of its workers; null (an older lifeguard's file): no group is provably its own. */
  mark: string | null;
  groups: RecordedGroup[];
}

const MARK = /^[\w-]{1,100}$/;

export interface Lock {
  /** The record a dead lifeguard left in the file (its groups may still run), or null. */
  inherited: LockRecord | null;
  /** Rewrites the file with the groups this lifeguard has started and not yet seen end. */
  record(groups: RecordedGroup[]): void;
  release(): void;
}

// The file's record: JSON, or the bare pid older lifeguards wrote; null when it says nothing usable.
export function parseLockRecord(text: string): LockRecord | null {
  try {
    const parsed = JSON.parse(text) as Partial<LockRecord>;
    if (typeof parsed === 'number') return Number.isInteger(parsed) ? { pid: parsed, start_time: null, mark: null, groups: [] } : null;
    if (!Number.isInteger(parsed.pid)) return null;
    const groups = Array.isArray(parsed.groups)
      ? parsed.groups.filter((g): g is RecordedGroup => Number.isInteger(g?.pgid) && g.pgid > 1 && Number.isInteger(g?.start_time))
      : [];
    const mark = typeof parsed.mark === 'string' && MARK.test(parsed.mark) ? parsed.mark : null;
    return { pid: parsed.pid!, start_time: Number.isInteger(parsed.start_time) ? parsed.start_time! : null, mark, groups };
  } catch {
    return null;
  }
}

const commandLineOf = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '?';
  }
};

// Whether the record's holder still runs: the same pid *and* the same start time, so a pid the system
// has since given to another process does not hold the lock.
function holderError(path: string, record: LockRecord): LockHeldError | null {
  if (record.pid === process.pid) return null;
  const started = startTimeOf(record.pid);
  if (started === null) return null;
  if (record.start_time !== null) {
    if (started !== record.start_time) return null;
    return new LockHeldError(`another lifeguard (pid ${record.pid}) holds ${path}; stop it, or give this one another --port or --lock-file`);
  }
  return new LockHeldError(
    `another lifeguard (pid ${record.pid}) holds ${path}, or so says the file (no start time in it); pid ${record.pid} runs "${commandLineOf(record.pid)}": ` +
      'if that is not a lifeguard, delete the file; otherwise stop it, or give this one another --port or --lock-file',
  );
}

// A lock file taken with O_EXCL (mode 0600): a second lifeguard for the same workers refuses to start
// with a clear error; a file left by a lifeguard that died is taken over, and what it recorded is handed
// on. The directory and an existing file are checked first (lock-trust.ts): nothing in a file another
// user could have written is believed.
export function acquireLock(path: string): Lock {
  const self: LockRecord = { pid: process.pid, start_time: startTimeOf(process.pid), mark: lifeguardMark(), groups: [] };
  let inherited: LockRecord | null = null;
  trustLockDirectory(path);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${JSON.stringify(self)}\n`);
      closeSync(fd);
      return {
        inherited,
        record: (groups) => {
          const temporary = `${path}.${process.pid}.tmp`;
          try {
            writeFileSync(temporary, `${JSON.stringify({ ...self, groups })}\n`, { mode: 0o600, flag: 'w' });
            renameSync(temporary, path);
          } catch {
            rmSync(temporary, { force: true });
          }
        },
        release: () => {
          try {
            if (parseLockRecord(readFileSync(path, 'utf8'))?.pid === process.pid) rmSync(path);
          } catch {
            // Already gone.
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new LockHeldError(`cannot create lock file ${path}: ${(error as Error).message}`);
      }
      trustLockFile(path);
      let text = '';
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        continue;
      }
      const record = parseLockRecord(text.trim());
      const held = record ? holderError(path, record) : null;
      if (held) throw held;
      if (record && record.pid !== process.pid && record.groups.length > 0) inherited = record;
      rmSync(path, { force: true });
    }
  }
  throw new LockHeldError(`could not take lock file ${path}`);
}
