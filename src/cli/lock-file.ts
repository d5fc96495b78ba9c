import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';

export class LockHeldError extends Error {
  readonly kind = 'lock_held' as const;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// A PID file taken with O_EXCL: a second lifeguard for the same workers refuses to start; a file
// left by a lifeguard that died is taken over.
export function acquireLock(path: string): { release(): void } {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return {
        release: () => {
          try {
            if (readFileSync(path, 'utf8').trim() === String(process.pid)) rmSync(path);
          } catch {
            // Already gone.
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new LockHeldError(`cannot create lock file ${path}: ${(error as Error).message}`);
      }
      const holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(holder) && holder !== process.pid && pidAlive(holder)) {
        throw new LockHeldError(`another lifeguard (pid ${holder}) holds ${path}; stop it, or give this one another --port or --lock-file`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new LockHeldError(`could not take lock file ${path}`);
}
