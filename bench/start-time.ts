// bench/start-time (issue 25): how long `npm start` takes to listen on an unchanged tree — the start script
// must skip the build when nothing changed (scripts/start.mjs) — and, beside it, the compiled CLI started
// directly. Each start is timed from spawning to the "listening on" line, then stopped with SIGTERM.
// Run: npx tsx bench/start-time.ts [starts=5]   (build first if the tree changed: `npm run build`)
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NODE_FLAGS } from '../src/cli/node-flags.js';
import { loadAverage } from './process-tree-cpu.js';
import { quantiles } from './stats.js';

const starts = Number(process.argv[2] ?? 5);
if (!Number.isInteger(starts) || starts < 1 || starts > 100) throw new Error(`starts must be an integer from 1 to 100, got ${process.argv[2]}`);
const dir = mkdtempSync(join(tmpdir(), 'lifeguard-start-time-'));
const TIMEOUT_MS = 120_000;

// Milliseconds from spawn to "listening on"; the process is stopped and waited for.
function timeStart(command: string, args: string[], lock: string): Promise<{ ms: number; built: boolean }> {
  return new Promise((resolve, reject) => {
    const began = performance.now();
    const child = spawn(command, [...args, '--port', '0', '--lock-file', lock], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no "listening on" within ${TIMEOUT_MS} ms:\n${output}`));
    }, TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!output.includes('listening on')) return;
      const ms = performance.now() - began;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stderr!.off('data', onData);
      child.once('exit', () => resolve({ ms, built: /building/i.test(output) }));
      child.kill('SIGTERM');
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', reject);
  });
}

const load = loadAverage();
const rows: Array<{ name: string; ms: number[]; built: number }> = [];
for (const [name, command, args] of [
  ['npm start (unchanged tree)', 'npm', ['start', '--silent', '--']],
  [`node ${NODE_FLAGS.join(' ')} dist/src/main.js`, process.execPath, [...NODE_FLAGS, 'dist/src/main.js']],
] as const) {
  const ms: number[] = [];
  let built = 0;
  for (let i = 0; i < starts; i++) {
    const result = await timeStart(command, [...args], join(dir, `lock-${rows.length}-${i}`));
    ms.push(result.ms);
    if (result.built) built += 1;
  }
  rows.push({ name, ms, built });
}

console.log(`bench/start-time — ${starts} starts each, load average ${load} at the start, ${loadAverage()} at the end`);
console.log('');
console.log('| start | to "listening on": median (min … max) | starts that built |');
console.log('|---|---|---|');
for (const row of rows) {
  const { median } = quantiles(row.ms);
  console.log(`| ${row.name} | ${Math.round(median)} ms (${Math.round(Math.min(...row.ms))} … ${Math.round(Math.max(...row.ms))}) | ${row.built} of ${row.ms.length} |`);
}
