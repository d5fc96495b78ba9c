import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../src/process/process-table.js';
import { TEST_MARKER } from '../support/drivers.js';
import { tempLockFile } from '../support/spawn-lifeguard.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

// What `npm start` and `npx lifeguard` run: the compiled package through its bin, with the bundled
// reference worker found from dist/.
describe('the built package', () => {
  beforeAll(() => {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'ignore' });
  }, 300_000);

  it('bin/lifeguard.js serves a completion with the reference worker and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, ['bin/lifeguard.js', '--port', '0', '--lock-file', tempLockFile()], {
      cwd: root,
      env: { ...process.env, ...TEST_MARKER },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line:\n${output}`)), 100_000);
      child.stderr!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
    });
    expect(output).toContain('workers/reference-worker.mjs');
    let answer: Response | null = null;
    for (let attempt = 0; attempt < 100; attempt++) {
      answer = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'from the built package' }] }),
      });
      if (answer.status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(answer!.status).toBe(200);
    expect(((await answer!.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe('Echo: from the built package');
    const ui = await fetch(`${url}/ui`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('/ui/ui.js');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('npx lifeguard --help lists the options and --version prints the package version', () => {
    const run = (...args: string[]) => execFileSync('npx', ['--no-install', 'lifeguard', ...args], { cwd: root, encoding: 'utf8' });
    const help = run('--help');
    expect(help).toMatch(/^Usage: lifeguard \[options\] \[-- WORKER COMMAND…\]/);
    expect(help).toContain('--proactive-restart-pct <n>');
    expect(help).toContain('LIFEGUARD_PROACTIVE_RESTART_PCT');
    const version = (JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version: string }).version;
    expect(run('--version')).toBe(`${version}\n`);
  });

  it('a bad value stops it with one line naming the key and exit code 2', () => {
    const result = spawnSync(process.execPath, ['bin/lifeguard.js', '--token-limit', '-5'], { cwd: root, encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('lifeguard: invalid configuration: token_limit: "-5" (from --token-limit) is not an integer ≥ 0\n');
  });

  it('SIGTERM to `npm start` reaches lifeguard: it stops its worker, removes its lock and exits', async () => {
    const lock = tempLockFile();
    const npm = spawn('npm', ['start', '--', '--port', '0', '--lock-file', lock], {
      cwd: root,
      env: { ...process.env, ...TEST_MARKER },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const npmExited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line:\n${output}`)), 250_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (/listening on http/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      npm.stdout!.on('data', onData);
      npm.stderr!.on('data', onData);
    });
    const record = JSON.parse(readFileSync(lock, 'utf8')) as { pid: number; groups: Array<{ pgid: number }> };
    expect(record.pid).not.toBe(npm.pid);
    npm.kill('SIGTERM');
    await npmExited;
    for (let attempt = 0; attempt < 1200 && isAlive(record.pid); attempt++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(isAlive(record.pid)).toBe(false);
    expect(record.groups.every((g) => !isAlive(g.pgid))).toBe(true);
    expect(existsSync(lock)).toBe(false);
  });
});
