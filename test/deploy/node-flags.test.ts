import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NODE_FLAGS } from '../../src/cli/node-flags.js';
import { last, readDockerfile } from '../support/dockerfile.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe("lifeguard's Node flags (src/cli/node-flags.ts)", () => {
  it('are on node’s command line wherever lifeguard is started: npm start and the image', () => {
    const scripts = (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.start).toBe(`exec node ${NODE_FLAGS.join(' ')} scripts/start.mjs`);
    const entrypoint = last(readDockerfile(`${root}Dockerfile`), 'ENTRYPOINT')!.args;
    const node = entrypoint.indexOf('node');
    expect(entrypoint.slice(node + 1, entrypoint.indexOf('dist/src/main.js'))).toEqual([...NODE_FLAGS]);
  });

  it('are flags this node accepts', () => {
    expect(execFileSync(process.execPath, [...NODE_FLAGS, '-e', 'process.stdout.write("ok")'], { encoding: 'utf8' })).toBe('ok');
  });
});
