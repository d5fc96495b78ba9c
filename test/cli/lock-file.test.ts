import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { acquireLock, LockHeldError, parseLockRecord } from '../../src/cli/lock-file.js';
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
    expect(parseLockRecord(readFileSync(path, 'utf8'))).toEqual({ pid: process.pid, start_time: startTimeOf(process.pid), groups: [{ pgid: 4242, start_time: 7 }] });
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
    const record = { pid: process.ppid, start_time: startTimeOf(process.ppid)! + 1, groups: [{ pgid: 99999999, start_time: 1 }] };
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
});

describe('ending the groups a dead lifeguard left', () => {
  it('a recorded group whose leader now has another start time is never signalled', async () => {
    const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore', env: { ...process.env, ...TEST_MARKER } });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const started = startTimeOf(child.pid!)!;
    expect(await endOrphanGroups([{ pgid: child.pid!, startTime: started + 1 }])).toEqual([]);
    expect(startTimeOf(child.pid!)).toBe(started);
    expect(survivorsOf({ pgid: child.pid!, startTime: started }, [{ pid: child.pid!, ppid: 1, pgrp: child.pid!, state: 'S', startTime: started }])).toHaveLength(1);
    expect(await endOrphanGroups([{ pgid: child.pid!, startTime: started }])).toEqual([child.pid]);
    await exited;
  });
});

describe('configuration bounds', () => {
  it('workers has an upper bound, named in the error', () => {
    expect(() => loadConfig(['--workers', '65'], {})).toThrow('workers: "65" (from --workers) is not an integer from 1 to 64');
    expect(loadConfig(['--workers', '64'], {}).workers).toBe(64);
  });
});
