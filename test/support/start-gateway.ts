import { afterEach } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { startLifeguard, type RunningLifeguard } from '../../src/cli/start-lifeguard.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/util/logger.js';
import { topLevelState, type WorkerSnapshot } from '../../src/supervisor/supervisor.js';
import { REFERENCE_WORKER, TEST_MARKER } from './drivers.js';

export interface GatewayOptions {
  flags?: string[];
  /** Environment for the reference worker (fault switches). */
  workerEnv?: Record<string, string>;
  /** A whole worker command instead of the reference worker. */
  workerCommand?: string[];
}

const FAST = ['--backoff-base-ms', '20', '--backoff-max-ms', '200', '--stop-grace-ms', '500', '--drain-timeout-ms', '5000'];

// A real lifeguard on 127.0.0.1:0 over the reference worker, with an OpenAI SDK client for it.
export async function startGateway(options: GatewayOptions = {}) {
  const lockDir = mkdtempSync(join(tmpdir(), 'lifeguard-test-'));
  const envArgs = Object.entries({ ...TEST_MARKER, ...options.workerEnv }).map(([k, v]) => `${k}=${v}`);
  const command = options.workerCommand ?? [process.execPath, REFERENCE_WORKER];
  const config = loadConfig(
    ['--port', '0', '--lock-file', join(lockDir, 'lock'), ...FAST, ...(options.flags ?? []), '--', 'env', ...envArgs, ...command],
    {},
  );
  const logs: string[] = [];
  const running: RunningLifeguard = await startLifeguard(config, createLogger(config.logFormat, (line) => logs.push(line)));
  const { supervisor } = running;
  const snapshotOf = (id = 'w1') => supervisor.snapshots().find((w) => w.id === id)!.snapshot;

  const waitFor = (predicate: (snapshot: WorkerSnapshot) => boolean, id = 'w1', timeoutMs = 60_000) =>
    new Promise<WorkerSnapshot>((resolve, reject) => {
      if (predicate(snapshotOf(id))) return resolve(snapshotOf(id));
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new Error(`timed out after ${timeoutMs} ms; worker ${id} is ${topLevelState(snapshotOf(id))}`));
      }, timeoutMs);
      const unsubscribe = supervisor.subscribe(() => {
        if (!predicate(snapshotOf(id))) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(snapshotOf(id));
      });
    });
  const waitForState = (state: string, id = 'w1', timeoutMs?: number) => waitFor((s) => topLevelState(s) === state, id, timeoutMs);

  const client = (apiKey = 'unused') => new OpenAI({ baseURL: `${running.url}/v1`, apiKey, maxRetries: 0, timeout: 100_000 });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${running.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${running.url}${path}`, { headers });

  return { ...running, logs, snapshotOf, waitFor, waitForState, client, post, get };
}

export type Gateway = Awaited<ReturnType<typeof startGateway>>;

/** A `start` for this test file: every gateway it starts is shut down after each test. */
export function gatewayPerTest(): (options?: GatewayOptions) => Promise<Gateway> {
  const started: Gateway[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((g) => g.shutdown()));
  });
  return async (options) => {
    const gateway = await startGateway(options);
    started.push(gateway);
    return gateway;
  };
}
