import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configKeys, envOf, flagOf } from '../../src/config/config-keys.js';
import { readCommandLine } from '../../src/config/load-config.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('the command line', () => {
  it('--help lists every option with its default and its environment variable', () => {
    const help = readCommandLine(['--help'], {});
    expect(help.kind).toBe('help');
    const text = (help as { text: string }).text;
    // One entry per option: a line starting with two spaces and a dash, and its continuation lines.
    const entries = text.split(/\n {2}(?=-)/).map((entry) => entry.replace(/\s+/g, ' '));
    for (const spec of configKeys) {
      const entry = entries.find((e) => e.startsWith(`${flagOf(spec.key)} `));
      expect(entry, spec.key).toBeDefined();
      expect(entry, spec.key).toContain(`env: ${envOf(spec.key)})`);
      if (spec.default !== null) expect(entry, spec.key).toContain(`default: ${JSON.stringify(spec.default)}`);
    }
    expect(text).toContain('-- WORKER COMMAND');
  });

  it('-h is --help, and --help wins over bad values', () => {
    expect(readCommandLine(['-h'], {})).toEqual(readCommandLine(['--help'], {}));
    expect(readCommandLine(['--port', 'nope', '--help'], {}).kind).toBe('help');
  });

  it("--version and -v print the package's version", () => {
    expect(readCommandLine(['--version'], {})).toEqual({ kind: 'version', text: `${pkg.version}\n` });
    expect(readCommandLine(['-v'], {})).toEqual({ kind: 'version', text: `${pkg.version}\n` });
  });

  it('otherwise reads a configuration, with the worker command after --', () => {
    const request = readCommandLine(['--port', '9001', '--', 'python3', 'w.py', '--port', '1'], {});
    expect(request).toMatchObject({ kind: 'run', config: { port: 9001, workerCommand: ['python3', 'w.py', '--port', '1'] } });
  });
});
