import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { stringify } from 'yaml';
import { startLifeguard, type RunningLifeguard } from '../../src/cli/start-lifeguard.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { ModelsSupervisor } from '../../src/models/models-supervisor.js';
import { createLogger } from '../../src/util/logger.js';
import { fixture, TEST_MARKER } from './drivers.js';

const FAST = ['--backoff-base-ms', '20', '--backoff-max-ms', '200', '--stop-grace-ms', '500', '--drain-timeout-ms', '5000'];

/** The worker command of a model whose workers answer "NAME (pid P): …". */
export const namedWorker = (name: string) => ['env', ...Object.entries(TEST_MARKER).map(([k, v]) => `${k}=${v}`), process.execPath, fixture('named-worker.mjs'), name];

// A real lifeguard on 127.0.0.1:0 from a config file with a `models:` section.
export async function startModels(file: Record<string, unknown>, flags: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'lifeguard-models-'));
  const path = join(dir, 'lifeguard.yaml');
  writeFileSync(path, stringify(file));
  const config = loadConfig(['--config', path, '--port', '0', '--lock-file', join(dir, 'lock'), ...FAST, ...flags], {});
  const logs: string[] = [];
  const running: RunningLifeguard = await startLifeguard(config, createLogger('text', (line) => logs.push(line)));
  const models = running.models as ModelsSupervisor;
  const phase = (id: string) => models.modelViews().find((m) => m.id === id)!.phase;
  // Resolves when the model reaches the phase (at once if it is there); bounded.
  const waitForPhase = (id: string, wanted: string, timeoutMs = 15_000) =>
    new Promise<void>((resolve, reject) => {
      if (phase(id) === wanted) return resolve();
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`model ${id} is ${phase(id)}, not ${wanted}, after ${timeoutMs} ms`));
      }, timeoutMs);
      const stop = models.subscribeModels(() => {
        // The table's step is over once its emitted events are handled.
        queueMicrotask(() => {
          if (phase(id) !== wanted) return;
          clearTimeout(timer);
          stop();
          resolve();
        });
      });
    });
  const chat = (model: string, content: string) =>
    fetch(`${running.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content }] }),
    });
  const answer = async (model: string, content: string) => {
    const response = await chat(model, content);
    const body = (await response.json()) as { choices?: Array<{ message: { content: string } }>; error?: unknown };
    if (response.status !== 200) throw new Error(`${model}: ${response.status} ${JSON.stringify(body)}`);
    return body.choices![0]!.message.content;
  };
  return { ...running, models, logs, phase, waitForPhase, chat, answer };
}

export type ModelsGateway = Awaited<ReturnType<typeof startModels>>;

/** Every lifeguard a test of this file starts is shut down after it. */
export function modelsPerTest() {
  const started: ModelsGateway[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((g) => g.shutdown()));
  });
  return async (file: Record<string, unknown>, flags?: string[]) => {
    const gateway = await startModels(file, flags);
    started.push(gateway);
    return gateway;
  };
}
