import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'lifeguard-models-config-'));
let count = 0;
const fileWith = (content: Record<string, unknown>) => {
  const path = join(dir, `config-${++count}.yaml`);
  writeFileSync(path, stringify(content));
  return path;
};
const load = (content: Record<string, unknown>, flags: string[] = []) => loadConfig(['--config', fileWith(content), ...flags], {});

function problemsOf(content: Record<string, unknown>): string[] {
  try {
    load(content);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('the config file’s models: section', () => {
  it('without it there is one implicit model, exactly as before', () => {
    expect(load({ workers: 2 }).models).toBeNull();
    expect(loadConfig([], {}).models).toBeNull();
  });

  it('gives each model its own worker settings, each defaulting to the top level (flags included)', () => {
    const config = load(
      {
        workers: 2,
        turn_limit: 7,
        worker_command: ['node', 'top.mjs'],
        models: {
          haiku: { driver: 'claude-code', model: 'claude-haiku-4-5', aliases: ['fast'], ttl_s: 300, start: 'on_demand' },
          local: { driver: 'openai-http', worker_command: ['llama-server', '--port', '{port}'], workers: 1, exclusive: 'gpu', worker_cwd: '/srv' },
          plain: null,
        },
      },
      ['--stop-grace-ms', '700'],
    );
    const [haiku, local, plain] = config.models!;
    expect(haiku).toMatchObject({ id: 'haiku', aliases: ['fast'], ttlMs: 300_000, exclusive: null, start: 'on_demand' });
    expect(haiku!.config).toMatchObject({ driver: 'claude-code', model: 'claude-haiku-4-5', workers: 2, turnLimit: 7, stopGraceMs: 700, workerCommand: ['node', 'top.mjs'] });
    expect(local).toMatchObject({ id: 'local', aliases: [], ttlMs: null, exclusive: 'gpu', start: 'boot' });
    // A model server's own defaults where the top level set nothing; what the top level set, it keeps.
    expect(local!.config).toMatchObject({ driver: 'openai-http', workers: 1, workerCwd: '/srv', startupTimeoutMs: 600_000, tokenLimit: 0, turnLimit: 7 });
    expect(plain!.config).toMatchObject({ driver: 'jsonl', workers: 2, workerCommand: ['node', 'top.mjs'] });
  });

  it.each([
    [{ models: [] }, /^models: \[\] .* is not a mapping of model ids to their settings/],
    [{ models: { a: { workers: 0 } } }, /^models\.a\.workers: 0 \(from .*\) is not an integer from 1 to 64$/],
    [{ models: { a: { port: 9 } } }, /^models\.a\.port: not a per-model key/],
    [{ models: { a: { driver: 'gpt' } } }, /^models\.a\.driver: "gpt" .* is not one of jsonl, claude-code, openai-http$/],
    [{ models: { a: { ttl_s: 0 } } }, /^models\.a\.ttl_s: 0 .* is not an integer ≥ 1/],
    [{ models: { a: { start: 'later' } } }, /^models\.a\.start: "later" .* is not one of boot, on_demand$/],
    [{ models: { a: { exclusive: '' } } }, /^models\.a\.exclusive: "" .* is not a non-empty label$/],
    [{ models: { a: { aliases: 'b' } } }, /^models\.a\.aliases: "b" .* is not a list of non-empty strings$/],
    [{ models: { a: { worker_command: [] } } }, /^models\.a\.worker_command: \[\] .* is not a non-empty list of strings$/],
    [{ models: { a: { driver: 'openai-http', worker_command: ['srv'] } } }, /^models\.a\.worker_command: openai-http needs \{port\}/],
    [{ models: { a: 'x' } }, /^models\.a: "x" .* is not a mapping of settings$/],
    [{ models: { 'bad id': {} } }, /^models\.bad id: the model id "bad id" .* is not a name/],
    [{ models: { a: { aliases: ['b'] }, b: {} } }, /already names model "a"/],
    [{ models: { a: { exclusive: 'gpu' }, b: { exclusive: 'gpu' } } }, /^models\.b\.start: "boot" .* clashes with "a", which starts at boot under the same exclusive label "gpu"/],
    [{ models: { a: { backoff_base_ms: 500, backoff_max_ms: 100 } } }, /^models\.a\.backoff_max_ms: 100 is smaller than backoff_base_ms 500$/],
  ])('a bad model setting is one clear line: %j', (content, expected) => {
    const problems = problemsOf(content);
    expect(problems.some((p) => expected.test(p)), problems.join('\n')).toBe(true);
  });
});

describe('lifeguard.example.yaml', () => {
  it('its models: block, uncommented, is a valid two-model configuration', async () => {
    const { readFileSync } = await import('node:fs');
    const example = readFileSync(new URL('../../lifeguard.example.yaml', import.meta.url), 'utf8');
    const block = example.slice(example.indexOf('# models:\n')).split('\n').filter((line) => line.startsWith('# ')).map((line) => line.slice(2)).join('\n');
    const path = join(dir, 'example-models.yaml');
    writeFileSync(path, block);
    const config = loadConfig(['--config', path], {});
    expect(config.models!.map((m) => [m.id, m.aliases, m.config.driver, m.config.workers, m.start, m.ttlMs])).toEqual([
      ['haiku', ['claude-haiku', 'fast'], 'claude-code', 2, 'boot', null],
      ['sonnet', ['claude-sonnet'], 'claude-code', 1, 'on_demand', 900_000],
    ]);
  });
});
