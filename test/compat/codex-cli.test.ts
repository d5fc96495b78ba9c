import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../support/start-gateway.js';

// The Codex CLI from npm (@openai/codex, its linux binary package from the npm registry), run as its
// users run it: `codex exec` with its default tools and features, pointed at lifeguard's
// /v1/responses by a custom model provider in a temporary CODEX_HOME.
const CODEX = fileURLToPath(new URL('../../node_modules/@openai/codex/bin/codex.js', import.meta.url));

let g: Gateway;
let home: string;
let workdir: string;

function writeConfig(url: string) {
  writeFileSync(
    join(home, 'config.toml'),
    [
      'model = "lifeguard-reference"',
      'model_provider = "lifeguard"',
      '[model_providers.lifeguard]',
      'name = "lifeguard"',
      `base_url = "${url}/v1"`,
      'wire_api = "responses"',
      'env_key = "LIFEGUARD_KEY"',
      // The one setting off its default: the plugin marketplace sync, which would reach github.com (tests
      // stay on loopback). It changes neither the API Codex speaks nor the tools it sends.
      '[features]',
      'plugins = false',
      '',
    ].join('\n'),
  );
}

function codex(prompt: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CODEX, 'exec', prompt],
      { cwd: workdir, env: { PATH: process.env.PATH, HOME: home, CODEX_HOME: home, LIFEGUARD_KEY: 'unused', RUST_LOG: 'error' }, timeout: 60_000, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

beforeAll(async () => {
  g = await startGateway();
  home = mkdtempSync(join(tmpdir(), 'lifeguard-codex-home-'));
  workdir = join(home, 'project');
  mkdirSync(workdir);
  // A git repository: `codex exec` works in one without --skip-git-repo-check.
  mkdirSync(join(workdir, '.git'));
  writeFileSync(join(workdir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  mkdirSync(join(workdir, '.git', 'objects'));
  mkdirSync(join(workdir, '.git', 'refs'));
  writeConfig(g.url);
});

afterAll(async () => {
  await g?.shutdown();
});

describe('the Codex CLI (codex exec, default configuration) against lifeguard', () => {
  it('`codex exec "say hi"` exits 0 with the worker\'s answer; the hosted tools it sends are left out and named', async () => {
    const run = await codex('say hi');
    expect(run.stderr).not.toMatch(/ERROR/);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Echo: say hi');
    // Codex's default tools include web_search and a namespace of multi-agent tools: dropped, said so.
    const dropped = g.logs.find((line) => line.includes('tools left out of what the worker sees'));
    expect(dropped).toMatch(/web_search/);
    expect(dropped).toMatch(/namespace:/);
  });

  it('a tool round: the worker calls exec_command, Codex runs it and sends function_call_output, the worker answers', async () => {
    const run = await codex('[[tool:exec_command]] echo lifeguard-codex-round');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Tool result:');
    expect(run.stdout).toContain('lifeguard-codex-round');
  });

  it('with tool_policy strict, Codex fails on its first request as it did before the policy (the 400 names the tool)', async () => {
    const strict = await startGateway({ flags: ['--tool-policy', 'strict'] });
    try {
      writeConfig(strict.url);
      const run = await codex('say hi');
      expect(run.code).not.toBe(0);
      expect(run.stderr).toMatch(/tools\[\d+\]\.type/);
      expect(strict.logs.join('')).toMatch(/status=400.*error=invalid_request.*param=tools\[\d+\]\.type/);
    } finally {
      writeConfig(g.url);
      await strict.shutdown();
    }
  });
});
