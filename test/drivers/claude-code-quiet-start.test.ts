import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createClaudeCodeDriver } from '../../src/drivers/claude-code/claude-code-driver.js';
import { QUIET_START_ENV, quietStartArgs, quietStartEnv } from '../../src/drivers/claude-code/quiet-start.js';
import { listProcesses } from '../../src/process/process-table.js';
import type { FakeAnthropic } from '../fixtures/fake-anthropic-api.js';
import { CLAUDE_CLI, startClaudeFixture } from '../support/claude-code.js';
import { TEST_MARKER } from '../support/drivers.js';
import { startGateway, type Gateway } from '../support/start-gateway.js';

const running: Array<{ g: Gateway; api: FakeAnthropic }> = [];
afterEach(async () => {
  for (const { g, api } of running.splice(0)) {
    await g.shutdown();
    await api.close();
  }
});

const spawnSpecOf = (command: string[]) => Promise.resolve(createClaudeCodeDriver({ command, model: null, maxLineBytes: 1 << 20 }).spawnSpec());

describe('a quiet cold start for the Claude Code CLI (issue 28)', () => {
  it('a plain command gets --strict-mcp-config and --setting-sources "" after the stream-json flags', async () => {
    const spec = await spawnSpecOf(['claude']);
    expect(spec.command).toBe('claude');
    const quiet = spec.args.indexOf('--strict-mcp-config');
    expect(spec.args.slice(quiet, quiet + 3)).toEqual(['--strict-mcp-config', '--setting-sources', '']);
    expect(quiet).toBeGreaterThan(spec.args.indexOf('--input-format'));
  });

  it('a flag the worker command already names is not added again, in either spelling', async () => {
    expect(quietStartArgs(['--setting-sources', 'user'])).toEqual(['--strict-mcp-config']);
    expect(quietStartArgs(['--setting-sources=user,project', '--strict-mcp-config'])).toEqual([]);
    expect((await spawnSpecOf(['claude', '--setting-sources', 'user'])).args.filter((arg) => arg === '--setting-sources')).toHaveLength(1);
  });

  it('the worker gets the variables that turn off the updater, telemetry and other start-up traffic', async () => {
    const env = (await spawnSpecOf(['claude'])).env ?? {};
    for (const [name, value] of Object.entries(QUIET_START_ENV)) {
      if (process.env[name] === undefined) expect(env[name], name).toBe(value);
    }
    expect(env).toMatchObject(quietStartEnv({}));
    expect(Object.keys(quietStartEnv({}))).toEqual(expect.arrayContaining(['DISABLE_AUTOUPDATER', 'DISABLE_TELEMETRY', 'DISABLE_ERROR_REPORTING', 'CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC']));
  });

  it("a variable set in lifeguard's environment is the operator's choice: it is left as it is", () => {
    const env = quietStartEnv({ DISABLE_TELEMETRY: '0' });
    expect(env).not.toHaveProperty('DISABLE_TELEMETRY');
    expect(env).toHaveProperty('DISABLE_AUTOUPDATER', '1');
  });

  it('the real CLI started with them (a wrong flag would stop it) answers, and its environment carries them', async () => {
    const fixture = await startClaudeFixture();
    const g = await startGateway({
      flags: ['--driver', 'claude-code', '--model', 'claude-sonnet-4-5', '--worker-cwd', fixture.cwd, '--startup-timeout-ms', '20000', '--standby', '0', '--isolation', 'shared'],
      workerCommand: [process.execPath, CLAUDE_CLI],
      workerEnv: fixture.env,
    });
    running.push({ g, api: fixture.api });
    await g.waitForState('healthy', 'w1', 30_000);
    const completion = await g.client().chat.completions.create({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'quietly now' }] });
    expect(completion.choices[0]!.message.content).toBe('Echo: quietly now');
    // The CLI renames itself ("claude"), so its arguments cannot be read back from /proc; its environment
    // can: every CLI this gateway runs (its API's URL) got the quiet-start variables the fixture did not set.
    const environs = listProcesses().flatMap((p) => {
      try {
        const environ = readFileSync(`/proc/${p.pid}/environ`, 'utf8').split('\0');
        return environ.includes(`LIFEGUARD_TEST_PROCESS=${TEST_MARKER.LIFEGUARD_TEST_PROCESS}`) && environ.includes(`ANTHROPIC_BASE_URL=${fixture.api.url}`) ? [environ] : [];
      } catch {
        return [];
      }
    });
    expect(environs.length).toBeGreaterThan(0);
    for (const environ of environs) {
      expect(environ).toContain('DISABLE_INSTALLATION_CHECKS=1');
      expect(environ).toContain('CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL=1');
    }
  }, 60_000);
});
