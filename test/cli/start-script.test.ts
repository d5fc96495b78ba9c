import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

// scripts/start.mjs (`npm start`) in a tiny project of its own: a one-file "lifeguard" that prints its
// arguments, compiled by the repository's TypeScript.
describe('npm start (scripts/start.mjs)', () => {
  const project = mkdtempSync(join(tmpdir(), 'lifeguard-start-'));
  afterAll(() => rmSync(project, { recursive: true, force: true }));
  mkdirSync(join(project, 'scripts'));
  mkdirSync(join(project, 'src'));
  cpSync(join(root, 'scripts', 'start.mjs'), join(project, 'scripts', 'start.mjs'));
  symlinkSync(join(root, 'node_modules'), join(project, 'node_modules'));
  writeFileSync(join(project, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(
    join(project, 'tsconfig.build.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', outDir: 'dist', rootDir: '.', incremental: true, types: ['node'], strict: true }, include: ['src'] }),
  );
  const main = join(project, 'src', 'main.ts');
  const writeMain = (word: string) => writeFileSync(main, `const word: string = '${word}';\nprocess.stdout.write(\`\${word} \${process.argv.slice(2).join(' ')}\\n\`);\n`);
  const start = (...args: string[]) => spawnSync(process.execPath, [join(project, 'scripts', 'start.mjs'), ...args], { encoding: 'utf8' });

  it('builds on the first start, skips the build while nothing changed, and builds again when a source is newer', () => {
    writeMain('first');
    const fresh = start('--port', '9000');
    expect(fresh.status).toBe(0);
    expect(fresh.stderr).toContain('building (dist/src/main.js is missing)');
    expect(fresh.stdout).toBe('first --port 9000\n');

    const unchanged = start('--help');
    expect(unchanged.status).toBe(0);
    expect(unchanged.stderr).toBe('');
    expect(unchanged.stdout).toBe('first --help\n');

    writeMain('second');
    const changed = start();
    expect(changed.stderr).toContain('building (sources changed since the last build)');
    expect(changed.stdout).toBe('second \n');
    expect(start().stderr).toBe('');
    // Three compiler runs: minutes on a loaded two-core machine.
  }, 600_000);

  it('a build that fails says so and does not start the old build', () => {
    writeFileSync(main, 'const broken: number = "not a number";\n');
    const failed = start();
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain('the build failed');
    expect(failed.stdout).toContain('error TS2322');
  });
});
