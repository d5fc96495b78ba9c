// bench/memory (docs/benchmarks.md, issue 13): lifeguard's own RSS idle, and whether it grows with requests.
// lifeguard (compiled, as `npm start` runs it) with the reference worker; autocannon sends
// `total` requests in rounds of 10 000 after a 5 000-request warm-up; RSS is read from /proc at the
// start (idle), after the warm-up, after each round, and after a forced full GC at the end (node's
// --expose-gc, triggered by SIGUSR2 through bench/gc-on-signal.mjs, which only this bench loads).
// Run: npx tsx bench/memory.ts [total=50000] [connections=8] [-- NODE FLAGS…]
import autocannon from 'autocannon';
import { mkdtempSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLifeguard, startServer } from './start-server.js';

const [positional, nodeFlags] = ((dash) => (dash < 0 ? [process.argv.slice(2), []] : [process.argv.slice(2, dash), process.argv.slice(dash + 1)]))(process.argv.indexOf('--'));
const total = Number(positional[0] ?? 50_000);
const connections = Number(positional[1] ?? 8);
const ROUND = 10_000;
const WARM_UP = 5_000;

const lockDir = mkdtempSync(join(tmpdir(), 'lifeguard-memory-'));
const server = await startServer(
  ['--expose-gc', '--import', './bench/gc-on-signal.mjs', ...nodeFlags, buildLifeguard(), '--port', '0', '--turn-limit', '0', '--token-limit', '0', '--lock-file', join(lockDir, 'lock')],
  { REF_WORKER_CONCURRENCY: '8' },
);
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const base = `http://127.0.0.1:${server.port}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Bounded waits: the worker healthy, a forced GC done.
for (let i = 0; i < 200 && ((await (await fetch(`${base}/health`)).json()) as { status: string }).status !== 'healthy'; i++) await sleep(50);
const gcDone = () =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no "gc done" from lifeguard within 10 s')), 10_000);
    const onData = (chunk: Buffer) => {
      if (!chunk.toString().includes('gc done')) return;
      clearTimeout(timer);
      server.child.stderr!.off('data', onData);
      resolve();
    };
    server.child.stderr!.on('data', onData);
    server.child.kill('SIGUSR2');
  });

const run = async (amount: number) => {
  const result = await autocannon({
    url: `${base}/v1/chat/completions`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'how much memory does this take' }] }),
    connections,
    amount,
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx answers and ${result.errors} errors`);
};

await sleep(1000);
const idle = rssMb();
await run(WARM_UP);
await sleep(1000);
const warm = rssMb();
const rounds: number[] = [];
for (let sent = 0; sent < total; sent += ROUND) {
  await run(Math.min(ROUND, total - sent));
  rounds.push(rssMb());
}
await gcDone();
await sleep(500);
const collected = rssMb();
await server.stop();

const growthPer10k = ((rounds.at(-1)! - warm) / total) * ROUND;
const lateGrowthPer10k = rounds.length > 1 ? ((rounds.at(-1)! - rounds[0]!) / (total - ROUND)) * ROUND : growthPer10k;
const mb = (value: number) => `${value.toFixed(1)} MB`;
console.log(`bench/memory — lifeguard (compiled) with the reference worker (max_concurrency 8), autocannon ${connections} connections`);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; node flags: ${nodeFlags.join(' ') || '(defaults)'}`);
console.log('');
console.log('| moment | RSS |');
console.log('|---|---|');
console.log(`| idle, worker healthy | ${mb(idle)} |`);
console.log(`| after a ${WARM_UP}-request warm-up | ${mb(warm)} |`);
rounds.forEach((rss, i) => console.log(`| after ${Math.min((i + 1) * ROUND, total)} more | ${mb(rss)} |`));
console.log(`| after a forced full GC | ${mb(collected)} |`);
console.log('');
console.log(`growth after warm-up: ${mb(rounds.at(-1)! - warm)} over ${total} requests = ${mb(growthPer10k)} per 10 000 (target: under 5 MB)`);
console.log(`growth after the first round: ${mb(lateGrowthPer10k)} per 10 000; idle RSS ${mb(idle)} (target: under 80 MB)`);
