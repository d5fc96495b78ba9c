import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeAnthropic, type FakeAnthropic, type FakeAnthropicOptions } from '../fixtures/fake-anthropic-api.js';

/** The real Claude Code CLI from npm (a devDependency pinned to a version that runs on Node 20). */
export const CLAUDE_CLI = fileURLToPath(new URL('../../node_modules/@anthropic-ai/claude-code/cli.js', import.meta.url));

/** The environment that makes the CLI talk only to the fake API, from a scratch HOME. */
export function claudeEnv(api: FakeAnthropic): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), 'lifeguard-claude-home-'));
  return {
    HOME: home,
    ANTHROPIC_BASE_URL: api.url,
    ANTHROPIC_API_KEY: 'dummy',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  };
}

export async function startClaudeFixture(options: FakeAnthropicOptions = {}) {
  const api = await startFakeAnthropic(options);
  const cwd = mkdtempSync(join(tmpdir(), 'lifeguard-claude-cwd-'));
  return { api, env: claudeEnv(api), cwd };
}
