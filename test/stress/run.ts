// `npm run test:stress`: the whole suite (typecheck, then vitest) with CPU-burning processes beside it,
// so a test that only passes on an idle machine fails here first. Extra arguments go to vitest
// (`npm run test:stress -- test/http`). LIFEGUARD_STRESS_BURNERS sets how many burners (default 2).
import { spawn, type ChildProcess } from 'node:child_process';

const burnerCount = Number(process.env.LIFEGUARD_STRESS_BURNERS ?? 2);
if (!Number.isInteger(burnerCount) || burnerCount < 0 || burnerCount > 64) {
  console.error(`LIFEGUARD_STRESS_BURNERS must be an integer from 0 to 64, got ${JSON.stringify(process.env.LIFEGUARD_STRESS_BURNERS)}`);
  process.exit(2);
}

// A busy loop that also ends by itself if this script dies without killing it (its parent goes away).
const BURN = 'const p = process.ppid; for (let i = 0; ; i++) { if (i % 1e8 === 0 && process.ppid !== p) process.exit(0); }';
const burners: ChildProcess[] = Array.from({ length: burnerCount }, () => spawn(process.execPath, ['-e', BURN], { stdio: 'ignore' }));

function stopBurners(): void {
  for (const burner of burners) if (burner.exitCode === null && burner.signalCode === null) burner.kill('SIGKILL');
}
process.on('exit', stopBurners);

function run(command: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal === null ? 1 : 128));
    });
  });
}

const started = Date.now();
console.log(`test:stress: ${burnerCount} CPU burner(s) running (pids ${burners.map((b) => b.pid).join(', ')})`);
let code = await run('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
if (code === 0) code = await run('npx', ['vitest', 'run', ...process.argv.slice(2)]);
stopBurners();
const seconds = Math.round((Date.now() - started) / 1000);
console.log(`test:stress: ${code === 0 ? 'PASSED' : `FAILED (exit ${code})`} in ${seconds} s with ${burnerCount} CPU burner(s)`);
process.exit(code);
