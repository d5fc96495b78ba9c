import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { fixture } from '../support/drivers.js';
import { spawnLifeguard, tempLockFile, type SpawnedLifeguard } from '../support/spawn-lifeguard.js';

const started: SpawnedLifeguard[] = [];
afterEach(async () => {
  for (const lifeguard of started.splice(0)) {
    if (lifeguard.child.exitCode === null && lifeguard.child.signalCode === null) {
      lifeguard.child.kill('SIGTERM');
      await lifeguard.exited;
    }
  }
});

type Health = { status: string; stats: { restart_count: number }; workers: Array<{ pid: number | null; restart_count: number; context_usage: { turns: number; token_limit: number; turn_limit: number } }> };

async function healthy(url: string): Promise<Health> {
  for (let attempt = 0; attempt < 400; attempt++) {
    const health = (await (await fetch(`${url}/health`)).json()) as Health;
    if (health.status === 'healthy') return health;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the model server never became healthy');
}

describe('--driver openai-http defaults fit a model server', () => {
  it('no turn or token limit and a 10-minute startup timeout unless configured', () => {
    const config = loadConfig(['--driver', 'openai-http', '--', 'llama-server', '--port', '{port}'], {});
    expect(config).toMatchObject({ tokenLimit: 0, turnLimit: 0, startupTimeoutMs: 600_000 });
    const configured = loadConfig(['--driver', 'openai-http', '--turn-limit', '50', '--', 'llama-server', '--port', '{port}'], { LIFEGUARD_STARTUP_TIMEOUT_MS: '120000' });
    expect(configured).toMatchObject({ tokenLimit: 0, turnLimit: 50, startupTimeoutMs: 120_000 });
    expect(loadConfig([], {})).toMatchObject({ tokenLimit: 150_000, turnLimit: 10, startupTimeoutMs: 30_000 });
  });

  it('{port} in an environment value is enough: OLLAMA_HOST=127.0.0.1:{port} -- ollama serve', () => {
    expect(loadConfig(['--driver', 'openai-http', '--', 'ollama', 'serve'], { OLLAMA_HOST: '127.0.0.1:{port}' }).workerCommand).toEqual(['ollama', 'serve']);
    expect(() => loadConfig(['--driver', 'openai-http', '--', 'ollama', 'serve'], {})).toThrow(/needs \{port\} in the worker command after -- or in an environment value/);
  });

  it('a server configured by PORT={port} serves 25 requests on one process: no recycling under the defaults', async () => {
    const lifeguard = spawnLifeguard(
      ['--driver', 'openai-http', '--port', '0', '--lock-file', tempLockFile(), '--', process.execPath, fixture('fake-openai-server.mjs')],
      {},
      { env: { PORT: '{port}' } },
    );
    started.push(lifeguard);
    const url = await lifeguard.listening;
    const first = await healthy(url);
    const pid = first.workers[0]!.pid;
    for (let i = 0; i < 25; i++) {
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: `question ${i}` }] }),
      });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe(`Echo: question ${i}`);
    }
    const after = await healthy(url);
    expect(after.workers[0]).toMatchObject({ pid, restart_count: 0, context_usage: { turns: 25, token_limit: 0, turn_limit: 0 } });
    expect(after.stats.restart_count).toBe(0);
    expect(lifeguard.output()).not.toContain('[PROACTIVE]');
  });
});
