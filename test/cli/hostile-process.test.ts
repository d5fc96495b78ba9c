import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive } from '../../src/process/process-table.js';
import { fixture, TEST_MARKER } from '../support/drivers.js';
import { idleSockets, rawPost, sseData } from '../support/raw-http.js';
import { spawnLifeguard, tempLockFile, type SpawnedLifeguard } from '../support/spawn-lifeguard.js';

const started: SpawnedLifeguard[] = [];
const leftovers: number[] = [];
afterEach(async () => {
  for (const lifeguard of started.splice(0)) {
    if (lifeguard.child.exitCode === null && lifeguard.child.signalCode === null) lifeguard.child.kill('SIGKILL');
    await lifeguard.exited;
  }
  for (const pid of leftovers.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone, as it should be.
    }
  }
});

const run: typeof spawnLifeguard = (...args) => {
  const lifeguard = spawnLifeguard(...args);
  started.push(lifeguard);
  return lifeguard;
};

const envArgs = Object.entries(TEST_MARKER).map(([k, v]) => `${k}=${v}`);
const workerCommand = (name: string) => ['--', 'env', ...envArgs, process.execPath, fixture(name)];

async function health(url: string) {
  return (await (await fetch(`${url}/health`)).json()) as { status: string; workers: Array<{ pid: number | null; restart_count: number }> };
}

async function healthyWorkerPid(url: string): Promise<number> {
  for (let attempt = 0; attempt < 1200; attempt++) {
    const body = await health(url);
    if (body.status === 'healthy' && body.workers[0]!.pid) return body.workers[0]!.pid;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the worker never became healthy');
}

const ask = (url: string, content: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content }] }),
  });

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

describe('hostile clients against the real lifeguard process', () => {
  it('under a 256-descriptor limit it survives 400 idle connections, refusing the excess clearly, then serves', async () => {
    const lifeguard = run(['--port', '0', '--lock-file', tempLockFile()], {}, { fileLimit: 256 });
    const url = await lifeguard.listening;
    await healthyWorkerPid(url);
    const idle = await idleSockets(url, 400);
    await expect.poll(() => lifeguard.output(), { timeout: 60_000 }).toContain('[WARN] refusing connections: 192 are open');
    // A new connection (fetch would reuse a pooled one) is refused with a body that says why, once the
    // burst of refusals has been closed.
    let refusal = '';
    for (let attempt = 0; attempt < 50 && !refusal; attempt++) {
      const exchange = rawPost(url, '/livez', {});
      await exchange.closed;
      refusal = exchange.text();
      if (!refusal) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(refusal).toMatch(/^HTTP\/1\.1 503[^]*"code":"too_many_connections"/);
    // Several turns of the 1 s memory poller with every descriptor spoken for.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(lifeguard.child.exitCode).toBeNull();
    for (const socket of idle) socket.destroy();
    let answer: Response | null = null;
    for (let attempt = 0; attempt < 100 && answer?.status !== 200; attempt++) {
      answer = await ask(url, 'still here').catch(() => null);
      if (answer?.status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(((await answer!.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe('Echo: still here');
    expect(lifeguard.child.exitCode).toBeNull();
  });

  it('a stream client that never reads, against a flooding worker: RSS grows well under 300 MB and /livez keeps answering throughout', async () => {
    const lifeguard = run(['--port', '0', '--lock-file', tempLockFile(), '--idle-timeout-ms', '30000', ...workerCommand('flood-worker.mjs')]);
    const url = await lifeguard.listening;
    await healthyWorkerPid(url);
    const pid = lifeguard.child.pid!;
    const baseline = rssMb(pid);
    const exchange = rawPost(url, '/v1/chat/completions', { messages: [{ role: 'user', content: 'flood' }], stream: true }, { paused: true });
    const samples: Array<{ livezMs: number; rssMb: number }> = [];
    const sample = async () => {
      const began = performance.now();
      expect((await fetch(`${url}/livez`)).status).toBe(200);
      samples.push({ livezMs: performance.now() - began, rssMb: rssMb(pid) });
    };
    for (let i = 0; i < 300 && !/\[STDERR\] cancelled /.test(lifeguard.output()); i++) {
      await sample();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(lifeguard.output()).toMatch(/\[STDERR\] cancelled /);
    for (let i = 0; i < 10; i++) {
      await sample();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // No multi-second stall of the event loop; the bound leaves room for a loaded machine's scheduling.
    expect(Math.max(...samples.map((s) => s.livezMs))).toBeLessThan(5000);
    expect(Math.max(...samples.map((s) => s.rssMb)) - baseline).toBeLessThan(150);
    exchange.socket.resume();
    await exchange.closed;
    expect(JSON.parse(sseData(exchange.text()).at(-1)!)).toMatchObject({ error: { code: 'client_too_slow' } });
  });

  it('with its stderr closed (EPIPE on every log line) it serves 20 requests out of 20', async () => {
    const lifeguard = run(['--port', '0', '--lock-file', tempLockFile()]);
    const url = await lifeguard.listening;
    await healthyWorkerPid(url);
    lifeguard.child.stderr!.destroy();
    lifeguard.child.stdout!.destroy();
    const statuses = [];
    for (let i = 0; i < 20; i++) statuses.push((await ask(url, `request ${i}`)).status);
    expect(statuses).toEqual(Array(20).fill(200));
    expect(lifeguard.child.exitCode).toBeNull();
    lifeguard.child.kill('SIGTERM');
    expect((await lifeguard.exited).code).toBe(0);
  });

  it('a worker and its grandchild orphaned by a SIGKILLed lifeguard are ended by the next one to take the lock', async () => {
    const lock = tempLockFile();
    const first = run(['--port', '0', '--lock-file', lock, '--stop-grace-ms', '200', ...workerCommand('stubborn-worker.mjs')]);
    const worker = await healthyWorkerPid(await first.listening);
    await expect.poll(() => /grandchild (\d+)/.exec(first.output())?.[1], { timeout: 60_000 }).toBeDefined();
    const grandchild = Number(/grandchild (\d+)/.exec(first.output())![1]);
    leftovers.push(worker, grandchild);
    expect(JSON.parse(readFileSync(lock, 'utf8'))).toMatchObject({ pid: first.child.pid, groups: [{ pgid: worker }] });
    first.child.kill('SIGKILL');
    await first.exited;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(isAlive(worker) && isAlive(grandchild)).toBe(true);

    const second = run(['--port', '0', '--lock-file', lock, '--stop-grace-ms', '200', ...workerCommand('stubborn-worker.mjs')]);
    await second.listening;
    expect(isAlive(worker)).toBe(false);
    expect(isAlive(grandchild)).toBe(false);
    expect(second.output()).toContain(`left by a lifeguard that died (pid ${first.child.pid})`);
    const next = await healthyWorkerPid(await second.listening);
    await expect.poll(() => [...second.output().matchAll(/grandchild (\d+)/g)].length, { timeout: 60_000 }).toBe(1);
    leftovers.push(next, ...[...second.output().matchAll(/grandchild (\d+)/g)].map((m) => Number(m[1])));
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
    expect(isAlive(next)).toBe(false);
  });

  it("a worker's environment holds none of lifeguard's secrets", async () => {
    const lifeguard = run(['--port', '0', '--lock-file', tempLockFile()], {}, {
      env: { LIFEGUARD_API_KEY: 'sk-client-secret', LIFEGUARD_ADMIN_TOKEN: 'admin-secret', LIFEGUARD_UPSTREAM_TOKEN: 'other-secret', LIFEGUARD_STAY: 'kept' },
    });
    const url = await lifeguard.listening;
    for (let attempt = 0; attempt < 200; attempt++) {
      const response = await fetch(`${url}/health`);
      const body = (await response.json()) as { status: string; workers: Array<{ pid: number | null }> };
      if (body.status === 'healthy' && body.workers[0]!.pid) {
        const environ = readFileSync(`/proc/${body.workers[0]!.pid}/environ`, 'utf8');
        expect(environ).not.toContain('secret');
        expect(environ.split('\0')).toContain('LIFEGUARD_STAY=kept');
        expect(environ.split('\0')).toContain(`LIFEGUARD_TEST_PROCESS=${TEST_MARKER.LIFEGUARD_TEST_PROCESS}`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    lifeguard.child.kill('SIGTERM');
    expect((await lifeguard.exited).code).toBe(0);
  });

  it('an audit file that is a FIFO nobody reads is reported and does not hang the shutdown', async () => {
    const fifo = join(mkdtempSync(join(tmpdir(), 'lifeguard-fifo-')), 'audit');
    execFileSync('mkfifo', [fifo]);
    const lifeguard = run(['--port', '0', '--lock-file', tempLockFile(), '--audit-file', fifo]);
    const url = await lifeguard.listening;
    await healthyWorkerPid(url);
    expect(lifeguard.output()).toContain(`[ERROR] audit trail ${fifo} cannot be written`);
    lifeguard.child.kill('SIGTERM');
    expect((await lifeguard.exited).code).toBe(0);
  });

  it('a second signal stops at once and still removes the lock file', async () => {
    const lock = tempLockFile();
    const lifeguard = run(['--port', '0', '--lock-file', lock, '--drain-timeout-ms', '30000']);
    const url = await lifeguard.listening;
    await healthyWorkerPid(url);
    const slow = ask(url, '[[hang]] never answered').catch(() => null);
    await expect.poll(async () => ((await (await fetch(`${url}/health`)).json()) as { stats: { in_flight: number } }).stats.in_flight).toBe(1);
    lifeguard.child.kill('SIGTERM');
    await expect.poll(() => lifeguard.output()).toContain('waiting up to 30000 ms');
    lifeguard.child.kill('SIGTERM');
    expect((await lifeguard.exited).code).toBe(1);
    await slow;
    expect(existsSync(lock)).toBe(false);
  });

  it('a lock naming a live process that is not a lifeguard gives a clear error at once', async () => {
    const lock = tempLockFile();
    writeFileSync(lock, `${process.pid}\n`);
    const lifeguard = run(['--port', '0', '--lock-file', lock]);
    expect((await lifeguard.exited).code).toBe(1);
    expect(lifeguard.output()).toContain(`pid ${process.pid} runs "`);
    expect(lifeguard.output()).toContain('if that is not a lifeguard, delete the file');
  });
});
