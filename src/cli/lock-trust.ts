import { lstatSync, mkdirSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';

/** A lock file or its directory that lifeguard cannot trust: someone else could have written it. */
export class LockTrustError extends Error {
  readonly kind = 'lock_untrusted' as const;
}

const uid = () => process.getuid?.() ?? -1;
const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;
const STICKY = 0o1000;

const statOrNull = (path: string): Stats | null => {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new LockTrustError(`cannot inspect ${path}: ${(error as Error).message}`);
  }
};

// The lock file's directory, created private (0700) when missing. Trusted when it is a real directory
// owned by lifeguard's user that no one else may write, or a shared sticky directory owned by root (like
// /tmp: others cannot replace a file there, and the file's own check catches one they created first).
export function trustLockDirectory(lockPath: string): void {
  const dir = dirname(lockPath);
  if (!statOrNull(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stats = statOrNull(dir)!;
  const own = stats.uid === uid();
  const othersWrite = (stats.mode & 0o022) !== 0;
  if (!stats.isDirectory()) throw new LockTrustError(`the lock file's directory ${dir} is not a directory (a symlink or a file): refusing to use it; remove it or set --lock-file`);
  if (own && !othersWrite) return;
  if (stats.uid === 0 && (stats.mode & STICKY) !== 0) return;
  throw new LockTrustError(
    `the lock file's directory ${dir} is owned by uid ${stats.uid} with mode ${octal(stats.mode)}: another user could write lifeguard's lock there; ` +
      `expected a directory owned by uid ${uid()} that only it can write (chmod 700), or set --lock-file elsewhere`,
  );
}

// An existing lock file is read and acted on only when it is a regular file of lifeguard's user that
// no one else may write.
export function trustLockFile(path: string): void {
  const stats = statOrNull(path);
  if (!stats) return;
  if (!stats.isFile()) throw new LockTrustError(`lock file ${path} is not a regular file (a symlink or a directory): refusing to read or replace it; remove it`);
  if (stats.uid !== uid() || (stats.mode & 0o022) !== 0) {
    throw new LockTrustError(
      `lock file ${path} is owned by uid ${stats.uid} with mode ${octal(stats.mode)}: refusing to act on what it says; ` +
        `expected a file of uid ${uid()} that only it can write — remove it if no lifeguard of yours runs`,
    );
  }
}
