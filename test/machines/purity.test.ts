import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../machines', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

describe('machines/ holds no IO', () => {
  it('imports nothing but xstate and its own pure modules', () => {
    for (const file of files(root)) {
      const imports = [...readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
      for (const source of imports) {
        const local = source.startsWith('.') && resolve(dirname(file), source).startsWith(`${root}/`);
        expect(source === 'xstate' || local, `${file} imports ${source}`).toBe(true);
      }
    }
  });

  it('never touches timers, processes or the clock directly', () => {
    for (const file of files(root)) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/setTimeout|setInterval|Date\.now|process\.|Math\.random|require\(/);
    }
  });
});
