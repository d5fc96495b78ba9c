import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configKeys, envOf, flagOf } from '../src/config/config-keys.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const configuration = readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');

describe('README and docs/configuration.md', () => {
  it('docs/configuration.md documents every configuration key with its flag, variable and default', () => {
    for (const spec of configKeys) {
      const row = configuration.split('\n').find((line) => line.startsWith(`| \`${spec.key}\` |`));
      expect(row, spec.key).toBeDefined();
      expect(row).toContain(`\`${flagOf(spec.key)}\``);
      expect(row).toContain(`\`${envOf(spec.key)}\``);
      expect(row).toContain(spec.default === null ? '—' : `\`${spec.default}\``);
    }
  });

  it('the README has the two set-up commands, the stress command, and links the generated statechart', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
    expect(readme).toContain('npm run test:stress');
    expect(readme).toContain('(visualizations/worker-machine.svg)');
  });

  it('the README is a front door: under 300 lines', () => {
    expect(readme.split('\n').length).toBeLessThan(300);
  });
});
