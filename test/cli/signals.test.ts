import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { rawPost, sseData } from '../support/raw-http.js';
import { spawnLifeguard, tempLockFile, type SpawnedLifeguard } from '../support/spawn-lifeguard.js';

const started: SpawnedLifeguard[] = [];
afterEach(async () => {
  for (const lifeguard of started.splice(0)) {
    if (lifeguard.child.exitCode === null && lifeguard.child.signalCode === null) lifeguard.child.kill('SIGKILL');
    await lifeguard.exited;
  }
});
const run: typeof spawnLifeguard = (...args) => {
  const lifeguard = spawnLifeguard(...args);
  started.push(lifeguard);
  return lifeguard;
};

async function healthy(url: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const health = (await (await fetch(`${url}/health`)).json()) as { status: string };
    if (health.status === 'healthy') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('lifeguard never became healthy');
}

const ask = (url: string, content: string) =>
  fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ role: 'user', content }] }) });

describe('signals', () => {
  it('SIGHUP is logged and ignored: streams go on, requests are answered, and SIGTERM still ends it cleanly', async () => {
    const lock = tempLockFile();
    const lifeguard = run(['--port', '0', '--lock-file', lock]);
    const url = await lifeguard.listening;
    await healthy(url);
    const stream = rawPost(url, '/v1/chat/completions', { messages: [{ role: 'user', content: 'through a hangup [[repeat:5]] [[slow:20]]' }], stream: true });
    await expect.poll(() => sseData(stream.text()).length, { timeout: 20_000 }).toBeGreaterThan(0);
    lifeguard.child.kill('SIGHUP');
    await expect.poll(() => lifeguard.output(), { timeout: 20_000 }).toContain('SIGHUP received: ignored');
    await stream.closed;
    expect(sseData(stream.text()).at(-1)).toBe('[DONE]');
    expect((await ask(url, 'after the hangup')).status).toBe(200);
    expect(lifeguard.child.exitCode).toBeNull();
    lifeguard.child.kill('SIGTERM');
    expect(await lifeguard.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(lock)).toBe(false);
  }, 60_000);

  it('a second SIGTERM ends every open stream with a shutting_down event (never cut silently, never worker_crashed), then exits 1', async () => {
    const lifeguard = run(['--port', '0', '--lock-file', tempLockFile(), '--drain-timeout-ms', '60000'], { REF_WORKER_CONCURRENCY: '3' });
    const url = await lifeguard.listening;
    await healthy(url);
    const streams = [1, 2, 3].map((n) =>
      rawPost(url, '/v1/chat/completions', { messages: [{ role: 'user', content: `stream ${n} [[repeat:2000]] [[slow:20]]` }], stream: true }),
    );
    for (const stream of streams) await expect.poll(() => sseData(stream.text()).length, { timeout: 20_000 }).toBeGreaterThan(0);
    lifeguard.child.kill('SIGTERM');
    await expect.poll(() => lifeguard.output(), { timeout: 20_000 }).toContain('shutting down: waiting up to 60000 ms');
    lifeguard.child.kill('SIGTERM');
    await Promise.all(streams.map((stream) => stream.closed));
    for (const stream of streams) {
      const last = JSON.parse(sseData(stream.text()).at(-1)!) as { error?: { code: string } };
      expect(last.error?.code).toBe('shutting_down');
    }
    expect(await lifeguard.exited).toEqual({ code: 1, signal: null });
    expect(lifeguard.output()).not.toContain('worker_crashed');
    expect(lifeguard.output()).toContain('[INFO] lifeguard stopped: every worker process has ended');
  }, 60_000);
});
