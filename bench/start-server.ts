import { execSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { NODE_FLAGS } from '../src/cli/node-flags.js';

/**
 * lifeguard as it runs in production: compiled (npm run build), not through tsx. LIFEGUARD_BENCH_BUILT=1
 * skips the build (dist/ is current): two benches running side by side must not rewrite dist/ under each other.
 */
export function buildLifeguard(): string {
  if (process.env.LIFEGUARD_BENCH_BUILT !== '1') execSync('npm run --silent build', { stdio: 'inherit' });
  return 'dist/src/main.js';
}

// Starts a server process (a .ts file through tsx, a .js file as it is) and resolves with its port
// once it prints "listening <port>" or "listening on http://host:<port>". A lifeguard build (a
// dist/src/main.js) runs with the Node flags every entry point gives it (src/cli/node-flags.ts), as in
// production, unless `nodeFlags` names others. LIFEGUARD_BENCH_LOG=FILE appends every server's output
// to FILE (what lifeguard logged while it was measured).
export function startServer(args: string[], env: Record<string, string> = {}, nodeFlags?: readonly string[]): Promise<{ port: number; child: ChildProcess; stop(): Promise<void> }> {
  const loader = args[0]?.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const flags = nodeFlags ?? (args.some((arg) => /(^|\/)dist\/src\/main\.js$/.test(arg)) ? NODE_FLAGS : []);
  const child = spawn(process.execPath, [...flags, ...loader, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logFile = process.env.LIFEGUARD_BENCH_LOG;
  if (logFile) {
    const log = createWriteStream(logFile, { flags: 'a' });
    log.write(`---- ${args.join(' ')}\n`);
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
  }
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (?:on http:\/\/[^:\s]+:)?(\d+)/.exec(output);
      if (!match) return;
      child.stdout!.off('data', onData);
      child.stderr!.off('data', onData);
      child.stdout!.resume();
      child.stderr!.resume();
      resolve({
        port: Number(match[1]),
        child,
        stop: () =>
          new Promise<void>((done) => {
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening:\n${output}`)));
  });
}
