import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, startTimeOf } from '../../src/process/process-table.js';
import { TEST_MARKER } from '../support/drivers.js';
import { spawnLifeguard, tempLockFile, type SpawnedLifeguard } from '../support/spawn-lifeguard.js';

const started: SpawnedLifeguard[] = [];
const strays: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const lifeguard of started.splice(0)) {
    if (lifeguard.child.exitCode === null && lifeguard.child.signalCode === null) lifeguard.child.kill('SIGKILL');
    await lifeguard.exited;
  }
  for (const end of strays.splice(0)) await end();
});

// A process that has nothing to do with lifeguard, leader of its own group, as an attacker would name it.
function unrelatedProcess(): number {
  const child = spawn('sleep', ['60'], { detached: true, stdio: 'ignore', env: { ...process.env, ...TEST_MARKER } });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  strays.push(async () => {
    child.kill('SIGKILL');
    await exited;
  });
  return child.pid!;
}

describe("the lock file's record is not trusted blindly", () => {
  it('a lock file naming a live unrelated process, with its real start time, does not get it killed', async () => {
    const victim = unrelatedProcess();
    const lock = tempLockFile();
    const deadHolder = { pid: 99999999, start_time: 1 };
    const groups = [{ pgid: victim, start_time: startTimeOf(victim)! }];
    for (const mark of ['some-guessed-mark', undefined]) {
      writeFileSync(lock, JSON.stringify({ ...deadHolder, ...(mark ? { mark } : {}), groups }), { mode: 0o600 });
      const lifeguard = spawnLifeguard(['--port', '0', '--lock-file', lock]);
      started.push(lifeguard);
      await lifeguard.listening;
      expect(isAlive(victim)).toBe(true);
      expect(lifeguard.output()).not.toContain('ended 1 process');
      if (!mark) expect(lifeguard.output()).toContain('no worker mark: none is provably lifeguard\'s, nothing is signalled');
      lifeguard.child.kill('SIGTERM');
      expect((await lifeguard.exited).code).toBe(0);
    }
  }, 60_000);
});
