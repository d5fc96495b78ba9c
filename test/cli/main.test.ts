import { afterEach, describe, expect, it } from 'vitest';
import { isAlive } from '../../src/process/process-table.js';
import { spawnLifeguard, tempLockFile, type SpawnedLifeguard } from '../support/spawn-lifeguard.js';

const started: SpawnedLifeguard[] = [];
const run = (...args: Parameters<typeof spawnLifeguard>) => {
  const lifeguard = spawnLifeguard(...args);
  started.push(lifeguard);
  return lifeguard;
};
afterEach(async () => {
  for (const lifeguard of started.splice(0)) {
    if (lifeguard.child.exitCode === null && lifeguard.child.signalCode === null) {
      lifeguard.child.kill('SIGKILL');
      await lifeguard.exited;
    }
  }
});

const ask = (url: string, content: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content }] }),
  });

async function workerPid(url: string): Promise<number> {
  for (let attempt = 0; attempt < 1200; attempt++) {
    const health = (await (await fetch(`${url}/health`)).json()) as { status: string; workers: Array<{ pid: number | null }> };
    if (health.status === 'healthy' && health.workers[0]!.pid) return health.workers[0]!.pid;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the worker never became healthy');
}

// Waits (bounded) until lifeguard reports this many requests in flight.
async function inFlight(url: string, count: number): Promise<void> {
  for (let attempt = 0; attempt < 3000; attempt++) {
    const health = (await (await fetch(`${url}/health`)).json()) as { stats: { in_flight: number } };
    if (health.stats.in_flight === count) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`never saw ${count} request(s) in flight`);
}

describe('the lifeguard command', () => {
  it('SIGTERM with requests in flight: they finish, the worker tree is gone, exit code 0', async () => {
    const lifeguard = run(['--port', '0', '--lock-file', tempLockFile()], { REF_WORKER_FAULT: 'fork', REF_WORKER_CONCURRENCY: '3' });
    const url = await lifeguard.listening;
    const pid = await workerPid(url);
    const requests = [1, 2, 3].map((n) => ask(url, `[[slow:1000]] request ${n} takes a moment`));
    await inFlight(url, 3);
    lifeguard.child.kill('SIGTERM');
    const responses = await Promise.all(requests);
    for (const [index, response] of responses.entries()) {
      expect(response.status).toBe(200);
      const body = (await response.json()) as { choices: Array<{ message: { content: string } }> };
      expect(body.choices[0]!.message.content).toBe(`Echo: request ${index + 1} takes a moment`);
    }
    expect(await lifeguard.exited).toEqual({ code: 0, signal: null });
    expect(isAlive(pid)).toBe(false);
    const grandchild = Number(/grandchild (\d+)/.exec(lifeguard.output())?.[1]);
    expect(grandchild).toBeGreaterThan(0);
    expect(isAlive(grandchild)).toBe(false);
    expect(lifeguard.output()).toContain('[INFO] lifeguard stopped: every worker process has ended');
  });

  it('new requests during shutdown get 503 and /livez turns 503', async () => {
    const lifeguard = run(['--port', '0', '--lock-file', tempLockFile()]);
    const url = await lifeguard.listening;
    await workerPid(url);
    // Eight deltas a second apart: the shutdown stays busy long enough for the checks on a loaded machine.
    const slow = ask(url, '[[slow:1000]] keep the shutdown busy for a while');
    await inFlight(url, 1);
    lifeguard.child.kill('SIGTERM');
    // Bounded: until lifeguard has taken the signal in.
    await expect.poll(async () => (await fetch(`${url}/livez`)).status).toBe(503);
    const refused = await ask(url, 'too late');
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: { code: 'shutting_down' } });
    expect((await slow).status).toBe(200);
    expect((await lifeguard.exited).code).toBe(0);
  });

  it('warns at start when it binds a non-loopback address without an API key', async () => {
    const lifeguard = run(['--host', '0.0.0.0', '--port', '0', '--lock-file', tempLockFile()]);
    await lifeguard.listening;
    await expect.poll(() => lifeguard.output()).toContain('[WARN] listening on 0.0.0.0 without an API key');
    lifeguard.child.kill('SIGTERM');
    expect((await lifeguard.exited).code).toBe(0);
  });

  it('a bad config value stops start-up with a line naming the key', async () => {
    const lifeguard = run(['--port', '0', '--stop-grace-ms', 'soon', '--lock-file', tempLockFile()]);
    expect((await lifeguard.exited).code).toBe(2);
    expect(lifeguard.output().trim()).toBe('lifeguard: invalid configuration: stop_grace_ms: "soon" (from --stop-grace-ms) is not an integer ≥ 0');
  });

  it('a second lifeguard on the same lock file refuses to start', async () => {
    const lock = tempLockFile();
    const first = run(['--port', '0', '--lock-file', lock]);
    await first.listening;
    const second = run(['--port', '0', '--lock-file', lock]);
    expect((await second.exited).code).toBe(1);
    expect(second.output()).toContain(`lifeguard: cannot start: another lifeguard (pid ${first.child.pid}) holds ${lock}`);
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
  });
});
