// bench/gateway-overhead (SPEC §9): lifeguard against the limit — bench/baseline-forwarder.ts, a
// bare node:http server forwarding over jsonl to the same reference worker — with autocannon, same
// machine, same run. Latency at 1 connection, throughput at 16.
// Run: npx tsx bench/gateway-overhead.ts [seconds per measurement=10]
import autocannon from 'autocannon';
import { cpus } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLifeguard, startServer } from './start-server.js';

const seconds = Number(process.argv[2] ?? 10);
const body = JSON.stringify({ model: 'lifeguard-reference', messages: [{ role: 'user', content: 'measure the gateway overhead' }] });
const workerEnv = { REF_WORKER_CONCURRENCY: '16' };

async function measure(port: number, connections: number) {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    duration: seconds,
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx answers and ${result.errors} errors`);
  return { p50: result.latency.p50, p90: result.latency.p90, rps: result.requests.average, total: result.requests.total };
}

async function run(name: string, args: string[]) {
  const server = await startServer(args, workerEnv);
  try {
    await measure(server.port, 4); // warm-up, not counted
    return { name, latency: await measure(server.port, 1), throughput: await measure(server.port, 16) };
  } finally {
    await server.stop();
  }
}

const lockDir = mkdtempSync(join(tmpdir(), 'lifeguard-bench-'));
// Turn and token limits off: proactive restarts are measured elsewhere, not here.
const lifeguardArgs = [buildLifeguard(), '--port', '0', '--turn-limit', '0', '--token-limit', '0', '--queue-size', '1024', '--lock-file', join(lockDir, 'lock')];
const baseline = await run('baseline node:http → jsonl', ['bench/baseline-forwarder.ts']);
const lifeguard = await run('lifeguard', lifeguardArgs);

console.log(`bench/gateway-overhead — autocannon ${seconds} s per measurement, POST /v1/chat/completions (non-streaming), reference worker with max_concurrency 16`);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
console.log('');
console.log('| server | p50 latency (1 conn) | p90 latency (1 conn) | throughput (16 conns) |');
console.log('|---|---|---|---|');
for (const r of [baseline, lifeguard]) {
  console.log(`| ${r.name} | ${r.latency.p50} ms | ${r.latency.p90} ms | ${Math.round(r.throughput.rps)} req/s |`);
}
console.log('');
console.log(`added median latency: ${(lifeguard.latency.p50 - baseline.latency.p50).toFixed(2)} ms (target: under 1 ms)`);
console.log(`throughput kept: ${((lifeguard.throughput.rps / baseline.throughput.rps) * 100).toFixed(1)} % (target: at least 80 %)`);
