import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock, LockHeldError, parseLockRecord } from '../../src/cli/lock-file.js';
import { LockTrustError } from '../../src/cli/lock-trust.js';
import { lifeguardMark, WORKER_MARK_VARIABLE } from '../../src/process/worker-env.js';
import { loadConfig } from '../../src/config/load-config.js';
import { startTimeOf } from '../../src/process/process-table.js';
import { endOrphanGroups, survivorsOf } from '../../src/process/orphan-groups.js';
import { TEST_MARKER } from '../support/drivers.js';
import { tempLockFile } from '../support/spawn-lifeguard.js';

describe('the lock file', () => {
  it('records the holder with its start time and the groups it started; release removes it', () => {
    const path = tempLockFile();
    const lock = acquireLock(path);
    lock.record([{ pgid: 4242, start_time: 7 }]);
    expect(parseLockRecord(readFileSync(path, 'utf8'))).toEqual({ pid: process.pid, start_time: startTimeOf(process.pid), mark: lifeguardMark(), groups: [{ pgid: 4242, start_time: 7 }] });
    lock.release();
    expect(existsSync(path)).toBe(false);
  });

  it('a live holder with the recorded start time holds it: a clear error', () => {
    const path = tempLockFile();
    writeFileSync(path, JSON.stringify({ pid: process.ppid, start_time: startTimeOf(process.ppid), groups: [] }));
    expect(() => acquireLock(path)).toThrow(LockHeldError);
    expect(() => acquireLock(path)).toThrow(`another lifeguard (pid ${process.ppid}) holds ${path}`);
  });

  it('a live pid with another start time is a reused pid: the lock is taken over and its groups handed on', () => {
    const path = tempLockFile();
    const record = { pid: process.ppid, start_time: startTimeOf(process.ppid)! + 1, mark: 'an-old-mark', groups: [{ pgid: 99999999, start_time: 1 }] };
    writeFileSync(path, JSON.stringify(record));
    const lock = acquireLock(path);
    expect(lock.inherited).toEqual(record);
    expect(parseLockRecord(readFileSync(path, 'utf8'))!.pid).toBe(process.pid);
    lock.release();
  });

  it('a file without a usable record is taken over', () => {
    const path = tempLockFile();
    writeFileSync(path, 'garbage');
    const lock = acquireLock(path);
    expect(lock.inherited).toBeNull();
    lock.release();
  });

  it('two lifeguards on port 0 get different default lock files; a fixed port shares one', () => {
    expect(loadConfig(['--port', '0'], {}).lockFile).toMatch(new RegExp(`lifeguard-0-${process.pid}\\.lock$`));
    expect(loadConfig(['--port', '9000'], {}).lockFile).toMatch(/lifeguard-9000\.lock$/);
  });

  it("lives by default in a directory of lifeguard's user, never in the shared temporary directory itself", () => {
    expect(loadConfig(['--port', '9000'], { XDG_RUNTIME_DIR: '/run/user/1000' }).lockFile).toBe('/run/user/1000/lifeguard/lifeguard-9000.lock');
    expect(loadConfig(['--port', '9000'], {}).lockFile).toBe(join(tmpdir(), `lifeguard-${process.getuid!()}`, 'lifeguard-9000.lock'));
  });

  it('a missing directory is created private (0700); the file is written 0600', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'lifeguard-lock-')), 'private', 'lock');
    const lock = acquireLock(path);
    expect(statMode(join(path, '..'))).toBe(0o700);
    expect(statMode(path)).toBe(0o600);
    lock.release();
  });

  it('a directory or a file others may write is refused with a clear error, and nothing in the file is acted on', () => {
    const open = mkdtempSync(join(tmpdir(), 'lifeguard-lock-'));
    chmodSync(open, 0o777);
    expect(() => acquireLock(join(open, 'lock'))).toThrow(LockTrustError);
    expect(() => acquireLock(join(open, 'lock'))).toThrow(/mode 0777: another user could write lifeguard's lock there/);
    const path = tempLockFile();
    writeFileSync(path, JSON.stringify({ pid: 99999999, start_time: 1, mark: 'm', groups: [{ pgid: process.pid, start_time: startTimeOf(process.pid) }] }));
    chmodSync(path, 0o666);
    expect(() => acquireLock(path)).toThrow(/mode 0666: refusing to act on what it says/);
    expect(existsSync(path)).toBe(true);
  });
});

const statMode = (path: string) => statSync(path).mode & 0o777;

describe('ending the groups a dead lifeguard left', () => {
  it('a recorded group whose leader now has another start time is never signalled', async () => {
    const mark = 'dead-lifeguard-mark';
    const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore', env: { ...process.env, ...TEST_MARKER, [WORKER_MARK_VARIABLE]: mark } });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const started = startTimeOf(child.pid!)!;
    expect(await endOrphanGroups([{ pgid: child.pid!, startTime: started + 1 }], mark)).toEqual([]);
    expect(startTimeOf(child.pid!)).toBe(started);
    expect(survivorsOf({ pgid: child.pid!, startTime: started }, [{ pid: child.pid!, ppid: 1, pgrp: child.pid!, state: 'S', startTime: started }])).toHaveLength(1);
    expect(await endOrphanGroups([{ pgid: child.pid!, startTime: started }], mark)).toEqual([child.pid]);
    await exited;
  });

  it("a live process named with its real start time but without the dead lifeguard's mark is never signalled", async () => {
    const unrelated = spawn('sleep', ['30'], { detached: true, stdio: 'ignore', env: { ...process.env, ...TEST_MARKER, [WORKER_MARK_VARIABLE]: 'another-mark' } });
    const exited = new Promise((resolve) => unrelated.once('exit', resolve));
    const started = startTimeOf(unrelated.pid!)!;
    try {
      expect(await endOrphanGroups([{ pgid: unrelated.pid!, startTime: started }], 'dead-lifeguard-mark')).toEqual([]);
      expect(startTimeOf(unrelated.pid!)).toBe(started);
    } finally {
      unrelated.kill('SIGKILL');
      await exited;
    }
  });
});

describe('configuration bounds', () => {
  it('workers has an upper bound, named in the error', () => {
    expect(() => loadConfig(['--workers', '65'], {})).toThrow('workers: "65" (from --workers) is not an integer from 1 to 64');
    expect(loadConfig(['--workers', '64'], {}).workers).toBe(64);
  });
});
