import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { livezUrl } from '../../src/cli/healthcheck.js';
import { loadConfig } from '../../src/config/load-config.js';
import { last, readDockerfile } from '../support/dockerfile.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const image = readDockerfile(`${root}Dockerfile`);
const entrypoint = last(image, 'ENTRYPOINT')!.args;
// What `docker run IMAGE ARGS…` runs: the entrypoint with the arguments appended (CMD replaced).
const run = (args: string[]) => [...entrypoint, ...args];
const lifeguardArgs = (argv: string[]) => argv.slice(argv.findIndex((a) => a.endsWith('main.js')) + 1);

describe('the Dockerfile', () => {
  it('runs lifeguard under tini, as a non-root user', () => {
    expect(entrypoint.slice(0, 2)).toEqual(['/usr/bin/tini', '--']);
    expect(entrypoint).toContain('dist/src/main.js');
    expect(last(image, 'USER')!.raw).not.toMatch(/^(root|0)$/);
  });

  it('keeps --host 0.0.0.0 whatever worker command docker run is given', () => {
    for (const args of [[], ['--', 'python3', 'worker.py'], ['--port', '9000', '--workers', '2', '--', 'node', 'w.mjs']]) {
      const config = loadConfig(lifeguardArgs(run(args)), {});
      expect(config.host, args.join(' ')).toBe('0.0.0.0');
      expect(config.workerCommand).toEqual(args.includes('--') ? args.slice(args.indexOf('--') + 1) : []);
    }
    expect(loadConfig(lifeguardArgs(run(['--port', '9000'])), {}).port).toBe(9000);
    // An operator's own --host still wins: it comes later.
    expect(loadConfig(lifeguardArgs(run(['--host', '10.0.0.5'])), {}).host).toBe('10.0.0.5');
  });

  it("HEALTHCHECK asks /livez on the port lifeguard was given by flag, environment or default", () => {
    const healthcheck = last(image, 'HEALTHCHECK')!.raw;
    expect(healthcheck).toContain('dist/src/cli/healthcheck.js');
    expect(healthcheck).not.toMatch(/8204/);
    expect(livezUrl(run([]), {})).toBe('http://127.0.0.1:8204/livez');
    expect(livezUrl(run(['--port', '9000', '--', 'python3', 'w.py']), {})).toBe('http://127.0.0.1:9000/livez');
    expect(livezUrl(run([]), { LIFEGUARD_PORT: '9100' })).toBe('http://127.0.0.1:9100/livez');
    expect(livezUrl(run(['--host', '10.0.0.5']), {})).toBe('http://10.0.0.5:8204/livez');
  });

  it('documents a stop timeout that covers the drain and the stop grace', () => {
    expect(last(image, 'STOPSIGNAL')!.raw).toBe('SIGTERM');
    const seconds = Number(/--stop-timeout (\d+)/.exec(readFileSync(`${root}Dockerfile`, 'utf8'))![1]);
    const config = loadConfig([], {});
    expect(seconds * 1000).toBeGreaterThan(config.drainTimeoutMs + config.stopGraceMs);
  });

  for (const file of ['claude-code.Dockerfile', 'llama-server.Dockerfile']) {
    it(`deploy/docker/${file} keeps the entrypoint and gives lifeguard a valid configuration`, () => {
      const example = readDockerfile(`${root}deploy/docker/${file}`);
      const ownEntrypoint = last(example, 'ENTRYPOINT')?.args;
      if (ownEntrypoint) expect(ownEntrypoint).toEqual(entrypoint);
      const env = Object.fromEntries(
        example.filter((i) => i.name === 'ENV').flatMap((i) => [...i.raw.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!])),
      );
      const config = loadConfig(lifeguardArgs([...entrypoint, ...last(example, 'CMD')!.args]), env);
      expect(config.host).toBe('0.0.0.0');
      expect(config.workerCommand.length).toBeGreaterThan(0);
    });
  }
});
