import { readFileSync } from 'node:fs';
import { loadConfig } from '../config/load-config.js';

// The container's HEALTHCHECK: lifeguard's own flags are in PID 1's command line (tini's argv:
// `tini -- node --single-threaded-gc dist/src/main.js --host 0.0.0.0 …`), so the check follows --port,
// LIFEGUARD_PORT or the config file alike, with the same precedence as lifeguard itself.
export function livezUrl(initArgv: readonly string[], env: NodeJS.ProcessEnv): string {
  const main = initArgv.findIndex((arg) => /main\.js$/.test(arg));
  const config = loadConfig(main === -1 ? [] : initArgv.slice(main + 1), env);
  const host = ['0.0.0.0', '::', ''].includes(config.host) ? '127.0.0.1' : config.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.port}/livez`;
}

async function check(): Promise<number> {
  const initArgv = readFileSync('/proc/1/cmdline', 'utf8').split('\0').filter(Boolean);
  const response = await fetch(livezUrl(initArgv, process.env), { signal: AbortSignal.timeout(2500) });
  return response.ok ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  check().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`healthcheck: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
}
