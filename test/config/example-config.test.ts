import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configKeys } from '../../src/config/config-keys.js';
import { loadConfig } from '../../src/config/load-config.js';

const example = readFileSync(fileURLToPath(new URL('../../lifeguard.example.yaml', import.meta.url)), 'utf8');

describe('lifeguard.example.yaml', () => {
  it('names every setting with its flag, variable and default', () => {
    for (const spec of configKeys) {
      expect(example, spec.key).toContain(`# ${spec.key}:${spec.default === null ? '' : ` ${spec.default}`}\n`);
      expect(example, spec.key).toContain(`--${spec.key.replace(/_/g, '-')} · LIFEGUARD_${spec.key.toUpperCase()}`);
    }
  });

  it('uncommented, it is a valid configuration equal to the defaults (plus its example worker command)', () => {
    const uncommented = example
      .split('\n')
      .filter((line) => /^# [a-z_]+: \S/.test(line))
      .map((line) => line.slice(2))
      .join('\n');
    const path = join(mkdtempSync(join(tmpdir(), 'lifeguard-example-')), 'lifeguard.yaml');
    writeFileSync(path, uncommented);
    // Every key with a default, and the worker command.
    expect(uncommented.split('\n').length).toBe(configKeys.filter((spec) => spec.default !== null).length + 1);
    expect(loadConfig(['--config', path], {})).toEqual({ ...loadConfig([], {}), workerCommand: ['python3', 'my_worker.py'] });
  });
});
