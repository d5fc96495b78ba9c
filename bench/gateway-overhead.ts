// bench/gateway-overhead (SPEC §9): lifeguard against the limit — bench/baseline-forwarder.ts, a
// bare node:http server forwarding over jsonl to the same reference worker — with autocannon, same
// machine, same run. Latency: 3000 sequential requests on one connection; throughput: 16 connections.
// Run: npx tsx bench/gateway-overhead.ts [seconds per measurement=10]
import autocannon from 'autocannon';
import { Agent, request } from 'node:http';
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

// Sequential requests over one keep-alive connection, timed in microseconds (autocannon rounds
// latency to whole milliseconds, too coarse for a sub-millisecond target).
async function latency(port: number, count: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const began = process.hrtime.bigint();
      const req = request({ host: '127.0.0.1', port, path: '/v1/chat/completions', method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - began) / 1000) : reject(new Error(`status ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  const samples: number[] = [];
  for (let i = 0; i < count; i++) samples.push(await once());
  agent.destroy();
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(count / 2)]! / 1000, p90: samples[Math.floor(count * 0.9)]! / 1000 };
}

async function run(name: string, args: string[]) {
  const server = await startServer(args, workerEnv);
  try {
    await measure(server.port, 4); // warm-up, not counted
    return { name, latency: await latency(server.port, 3000), throughput: await measure(server.port, 16) };
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
  console.log(`| ${r.name} | ${r.latency.p50.toFixed(3)} ms | ${r.latency.p90.toFixed(3)} ms | ${Math.round(r.throughput.rps)} req/s |`);
}
console.log('');
console.log(`added median latency: ${(lifeguard.latency.p50 - baseline.latency.p50).toFixed(3)} ms (target: under 1 ms)`);
console.log(`throughput kept: ${((lifeguard.throughput.rps / baseline.throughput.rps) * 100).toFixed(1)} % (target: at least 80 %)`);
