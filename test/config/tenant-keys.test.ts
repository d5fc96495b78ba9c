import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';
import { cgroupAvailable, defaultMemoryBudgetBytes, memAvailable } from '../../src/process/memory-budget.js';

const configFile = (text: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'lifeguard-tenants-')), 'lifeguard.yaml');
  writeFileSync(path, text);
  return path;
};
const problems = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.join('\n');
    throw error;
  }
  return '';
};

describe('tenants and pool settings (issue 28)', () => {
  it('api_keys from the flag or LIFEGUARD_API_KEYS: name=key pairs, each a tenant with the pool isolation', () => {
    expect(loadConfig(['--api-keys', 'alice=k1, bob=k2'], {}).apiKeys).toEqual([
      { name: 'alice', key: 'k1', isolation: null },
      { name: 'bob', key: 'k2', isolation: null },
    ]);
    expect(loadConfig([], { LIFEGUARD_API_KEYS: 'carol=k3' }).apiKeys).toEqual([{ name: 'carol', key: 'k3', isolation: null }]);
    expect(loadConfig([], {}).apiKeys).toBeNull();
  });

  it('api_keys in the file: a mapping of name to key or to {key, isolation}; isolated is read as conversation', () => {
    const path = configFile('api_keys:\n  alice: k1\n  bob: {key: k2, isolation: tenant}\n  old: {key: k3, isolation: isolated}\nisolation: isolated\n');
    const config = loadConfig(['--config', path], {});
    expect(config.apiKeys).toEqual([
      { name: 'alice', key: 'k1', isolation: null },
      { name: 'bob', key: 'k2', isolation: 'tenant' },
      { name: 'old', key: 'k3', isolation: 'conversation' },
    ]);
    expect(config.isolation).toBe('conversation');
    expect(loadConfig(['--isolation', 'tenant'], {}).isolation).toBe('tenant');
  });

  it.each([
    ['a pair without a key', ['--api-keys', 'alice='], 'api_keys: "alice=…" (from --api-keys) is not name=key'],
    ['a bad tenant name', ['--api-keys', 'al ice=k'], 'tenant name "al ice"'],
    ['a name given twice', ['--api-keys', 'a=k1,a=k2'], 'tenant a (from --api-keys) is named twice'],
    ['a key given twice', ['--api-keys', 'a=k1,b=k1'], 'tenant b (from --api-keys) has the key of another tenant'],
    ['api_key beside a tenant named default', ['--api-key', 'k9', '--api-keys', 'default=k1'], 'api_key: its tenant is named default'],
    ['an unknown isolation', ['--isolation', 'strict'], 'isolation: "strict" (from --isolation) is not one of conversation, tenant, shared, isolated'],
    ['a process cap of 0', ['--max-processes', '0'], 'max_processes: "0" (from --max-processes) is not an integer from 1 to 1024'],
    ['a spawn concurrency of 0', ['--spawn-concurrency', '0'], 'spawn_concurrency: "0" (from --spawn-concurrency) is not an integer from 1 to 16'],
  ])('refuses %s with a line naming it', (_, argv, message) => {
    expect(problems(() => loadConfig(argv, {}))).toContain(message);
  });

  it('refuses file entries it cannot read, naming the tenant and never echoing a key', () => {
    const text = problems(() => loadConfig(['--config', configFile('api_keys:\n  a: {key: secret-1, isolation: strict}\n  b: {key: ""}\n  c: {key: secret-2, extra: 1}\n  d: [1]\n')], {}));
    expect(text).toContain("tenant a's isolation \"strict\"");
    expect(text).toContain('tenant b');
    expect(text).toContain('tenant c');
    expect(text).toContain('unknown fields extra');
    expect(text).toContain('tenant d');
    expect(text).not.toContain('secret-');
    expect(problems(() => loadConfig(['--config', configFile('api_keys: [a, b]\n')], {}))).toContain('a list');
  });

  it('the memory budget: memory_budget_mb when set; by default half of the cgroup room or MemAvailable, whichever is less', () => {
    expect(loadConfig(['--memory-budget-mb', '512'], {}).memoryBudgetMb).toBe(512);
    expect(loadConfig([], {}).memoryBudgetMb).toBeNull();
    expect(cgroupAvailable('max\n', '100')).toBeNull();
    expect(cgroupAvailable(null, null)).toBeNull();
    expect(cgroupAvailable('1000\n', '400\n')).toBe(600);
    expect(cgroupAvailable('1000', null)).toBe(1000);
    expect(cgroupAvailable('100', '400')).toBe(0);
    expect(memAvailable('MemTotal:  10 kB\nMemAvailable:    2048 kB\n')).toBe(2048 * 1024);
    expect(memAvailable(null)).toBeNull();
    const files: Record<string, string> = { '/sys/fs/cgroup/memory.max': '4096', '/sys/fs/cgroup/memory.current': '96', '/proc/meminfo': 'MemAvailable: 8 kB\n' };
    expect(defaultMemoryBudgetBytes((path) => files[path] ?? null)).toBe(2000);
    expect(defaultMemoryBudgetBytes((path) => (path === '/proc/meminfo' ? 'MemAvailable: 8 kB\n' : null))).toBe(4096);
    expect(defaultMemoryBudgetBytes(() => null)).toBe(1024 ** 3);
    expect(defaultMemoryBudgetBytes()).toBeGreaterThan(0);
  });
});
