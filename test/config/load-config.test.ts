import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'lifeguard-config-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

function problemsOf(argv: string[], env: NodeJS.ProcessEnv = {}): string[] {
  try {
    loadConfig(argv, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('has the documented defaults', () => {
    const config = loadConfig([], {});
    expect(config).toMatchObject({
      port: 8204,
      host: '127.0.0.1',
      workers: 1,
      driver: 'jsonl',
      startupTimeoutMs: 30_000,
      maxConsecutiveFailures: 5,
      queueSize: 256,
      queueWaitMs: 120_000,
      bodyLimitBytes: 4 * 1024 * 1024,
      workerCommand: [],
    });
    expect(config).toMatchObject({ maxAnswerBytes: 64 * 1024 * 1024, streamBudgetBytes: null });
    expect(config.lockFile).toBe(join(tmpdir(), `lifeguard-${process.getuid!()}`, 'lifeguard-8204.lock'));
  });

  it('flag > env > file > default', () => {
    const path = file('a.yaml', 'queue_size: 10\nturn_limit: 7\nworkers: 3\n');
    const config = loadConfig(['--config', path, '--queue-size', '30'], { LIFEGUARD_QUEUE_SIZE: '20', LIFEGUARD_TURN_LIMIT: '8' });
    expect(config).toMatchObject({ queueSize: 30, turnLimit: 8, workers: 3, tokenLimit: 150_000 });
  });

  it('reads JSON config files and the worker command from them; the command after -- wins', () => {
    const path = file('b.json', JSON.stringify({ worker_command: ['python3', 'w.py'], max_rss_mb: 512 }));
    expect(loadConfig(['--config', path], {})).toMatchObject({ workerCommand: ['python3', 'w.py'], maxRssMb: 512 });
    expect(loadConfig(['--config', path, '--', 'node', 'x.js'], {}).workerCommand).toEqual(['node', 'x.js']);
  });

  it('the default lock file is per port', () => {
    expect(loadConfig(['--port', '9000'], {}).lockFile).toBe(join(tmpdir(), `lifeguard-${process.getuid!()}`, 'lifeguard-9000.lock'));
  });

  it.each([
    [['--stop-grace-ms', 'abc'], {}, 'stop_grace_ms: "abc" (from --stop-grace-ms) is not an integer ≥ 0'],
    [[], { LIFEGUARD_WORKERS: '0' }, 'workers: "0" (from LIFEGUARD_WORKERS) is not an integer from 1 to 64'],
    [['--port', '70000'], {}, 'port: "70000" (from --port) is not an integer port from 0 to 65535'],
    [['--log-format', 'xml'], {}, 'log_format: "xml" (from --log-format) is not one of text, json'],
    [['--queue-wait-ms', '1.5'], {}, 'queue_wait_ms: "1.5" (from --queue-wait-ms) is not an integer ≥ 1'],
    [['--bogus', '1'], {}, 'arguments: unknown flag --bogus (lifeguard --help lists them)'],
    [['--workers'], {}, 'arguments: --workers needs a value (lifeguard --help)'],
    [['--token-limit', '-5'], {}, 'token_limit: "-5" (from --token-limit) is not an integer ≥ 0'],
    [['--proactive-restart-pct', '150'], {}, 'proactive_restart_pct: "150" (from --proactive-restart-pct) is not an integer from 1 to 100'],
    [['--port', ''], {}, 'port: "" (from --port) is not an integer port from 0 to 65535'],
    [['--api-key', ''], {}, 'api_key: "" (from --api-key) is not a non-empty string'],
    [['stray'], {}, 'arguments: unexpected "stray"; put the worker command after --'],
    [['node', 'x.js'], {}, 'arguments: unexpected "node"; put the worker command after --'],
  ] as const)('%j %j → "%s"', (argv, env, problem) => {
    expect(problemsOf([...argv], env)).toEqual([problem]);
  });

  it('reports every bad value, each on its own line, including file keys', () => {
    const path = file('c.yaml', 'drain_timeout_ms: soon\nmystery: 1\n');
    const problems = problemsOf(['--config', path, '--workers', 'two'], {});
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^config: unknown key "mystery" in .*c\.yaml \(known: port, host,/);
    expect(problems[1]).toBe('workers: "two" (from --workers) is not an integer from 1 to 64');
    expect(problems[2]).toBe(`drain_timeout_ms: "soon" (from ${path} key drain_timeout_ms) is not an integer ≥ 0`);
  });

  it('an unreadable or malformed file is named', () => {
    expect(problemsOf(['--config', join(dir, 'missing.yaml')], {})[0]).toMatch(/^config: cannot read --config file .*missing\.yaml/);
    expect(problemsOf(['--config', file('d.json', '{nope')], {})[0]).toMatch(/^config: .*d\.json is not valid JSON/);
  });
});
