// bench/gateway-overhead (docs/benchmarks.md, issue 13): lifeguard against the limit, side by side on one machine
// in one run — bench/baseline-forwarder.ts (bare node:http forwarding over jsonl to the same reference
// worker) and bench/hono-forwarder.ts (the same as a minimal Hono app: the framework alone).
// All three servers run at once (each with its own worker) and are measured in turn, round after
// round, so a machine whose speed drifts (a shared VM) slows all three alike: throughput is compared
// round by round (lifeguard's against the bare forwarder's of the same round) and the median of those
// ratios is reported; latencies pool every round's samples. Per server: throughput and latency (p50, p99) at 16 connections (autocannon,
// every response timed), latency at 1 connection (sequential requests on one keep-alive connection,
// timed in µs), and the time to the first streamed delta (sequential `stream: true` requests).
// `runs` repeats the whole comparison with fresh servers, to show the figures hold run after run.
// CPU per request (issue 26), the primary figure: each server's process tree (the server and its
// reference worker, from /proc/<pid>/stat) over each of its 16-connection rounds, divided by the
// requests answered in it — what throughput on a machine to itself is made of, and far less moved
// by other load than req/s. lifeguard logs as in production: one line per request to its stdout, a
// pipe this process reads. Every figure comes with the load average it was measured at.
// Run: npx tsx bench/gateway-overhead.ts [seconds at 16 connections per round=2] [rounds=9] [runs=1]
import autocannon from 'autocannon';
import type { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadAverage, processCpuSeconds, scanProc, treeCpuSeconds } from './process-tree-cpu.js';
import { buildLifeguard, startServer } from './start-server.js';
import { quantiles } from './stats.js';

const seconds = Number(process.argv[2] ?? 2);
const rounds = Number(process.argv[3] ?? 9);
const runs = Number(process.argv[4] ?? 1);
const WARM_UP_S = 5;
const SEQUENTIAL = 300;
const STREAMED = 150;
const messages = [{ role: 'user', content: 'measure the gateway overhead' }];
const body = JSON.stringify({ model: 'lifeguard-reference', messages });
const streamBody = JSON.stringify({ model: 'lifeguard-reference', messages, stream: true });
const workerEnv = { REF_WORKER_CONCURRENCY: '16' };

interface Latency {
  p50: number;
  p99: number;
}
interface Figures {
  /** Median of the rounds. */
  rps: number;
  /** Each round's. */
  rounds: number[];
  /** Each round's CPU µs per request: the whole tree (server + worker), and the server process alone. */
  cpuTree: number[];
  cpuServer: number[];
  at16: Latency;
  at1: Latency;
  ttfb: Latency;
}

const median = (values: number[]) => quantiles(values).median;

// This process is the load generator and keeps every response's time: its garbage (hundreds of thousands
// of samples a run) would otherwise be collected while some server is being measured, taking CPU on a
// 2-core machine from whichever server is nearest saturation — lifeguard — more in each later run. A full
// collection before each measured spell keeps the client's own GC out of every server's figures alike.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const latencyOf = (samples: number[]): Latency => {
  const { median: p50, p99 } = quantiles(samples);
  return { p50, p99 };
};

// `connections` for `duration` seconds; every 2xx response's time (ms, float) is kept.
async function load(port: number, connections: number, duration: number): Promise<{ rps: number; times: number[]; total: number }> {
  const times: number[] = [];
  // The run is an EventEmitter as well as a promise (autocannon's types give only the promise).
  const instance = autocannon({ url: `http://127.0.0.1:${port}/v1/chat/completions`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections, duration }) as unknown as EventEmitter & Promise<autocannon.Result>;
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status === 200) times.push(ms);
  });
  const result = await instance;
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx answers and ${result.errors} errors`);
  return { rps: result.requests.average, times, total: result.requests.total };
}

// One request on the keep-alive agent: ms to the end of the answer, or to its first streamed delta.
function timed(port: number, agent: Agent, payload: string, untilFirstDelta: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const began = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - began) / 1e6;
    let first: number | null = null;
    const req = request({ host: '127.0.0.1', port, path: '/v1/chat/completions', method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
      res.on('data', (piece: Buffer) => {
        if (first === null && untilFirstDelta && piece.includes('"content"')) first = elapsed();
      });
      res.on('end', () => resolve(untilFirstDelta ? (first ?? Number.NaN) : elapsed()));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function sequential(port: number, count: number, payload: string, untilFirstDelta: boolean): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const samples: number[] = [];
  try {
    for (let i = 0; i < count; i++) samples.push(await timed(port, agent, payload, untilFirstDelta));
  } finally {
    agent.destroy();
  }
  if (samples.some(Number.isNaN)) throw new Error('a streamed answer carried no delta');
  return samples;
}

const lockDir = mkdtempSync(join(tmpdir(), 'lifeguard-bench-'));
// Turn and token limits off: proactive restarts are measured elsewhere (bench/pool-figures.ts).
const servers = [
  { name: 'bare node:http → jsonl', args: ['bench/baseline-forwarder.ts'] },
  { name: 'Hono → jsonl', args: ['bench/hono-forwarder.ts'] },
  { name: 'lifeguard', args: [buildLifeguard(), '--port', '0', '--turn-limit', '0', '--token-limit', '0', '--queue-size', '1024', '--lock-file', join(lockDir, 'lock')] },
];

async function compare(): Promise<Figures[]> {
  const started = await Promise.all(servers.map((server) => startServer(server.args, workerEnv)));
  try {
    for (const server of started) await load(server.port, 16, WARM_UP_S); // warm-up, not counted (JIT, heap sizes)
    const rps = started.map(() => [] as number[]);
    const cpuTree = started.map(() => [] as number[]);
    const cpuServer = started.map(() => [] as number[]);
    const at16 = started.map(() => [] as number[]);
    const at1 = started.map(() => [] as number[]);
    const ttfb = started.map(() => [] as number[]);
    for (let round = 0; round < rounds; round++) {
      for (const [i, server] of started.entries()) {
        const pid = server.child.pid!;
        collectGarbage();
        const before = { tree: treeCpuSeconds(pid, scanProc()), server: processCpuSeconds(pid) };
        const measured = await load(server.port, 16, seconds);
        const after = { tree: treeCpuSeconds(pid, scanProc()), server: processCpuSeconds(pid) };
        cpuTree[i]!.push(((after.tree - before.tree) / measured.total) * 1e6);
        cpuServer[i]!.push(((after.server - before.server) / measured.total) * 1e6);
        rps[i]!.push(measured.rps);
        at16[i]!.push(...measured.times);
      }
    }
    for (let round = 0; round < rounds; round++) {
      for (const [i, server] of started.entries()) {
        at1[i]!.push(...(await sequential(server.port, SEQUENTIAL, body, false)));
        ttfb[i]!.push(...(await sequential(server.port, STREAMED, streamBody, true)));
      }
    }
    return started.map((_, i) => ({ rps: median(rps[i]!), rounds: rps[i]!, cpuTree: cpuTree[i]!, cpuServer: cpuServer[i]!, at16: latencyOf(at16[i]!), at1: latencyOf(at1[i]!), ttfb: latencyOf(ttfb[i]!) }));
  } finally {
    await Promise.all(started.map((server) => server.stop()));
  }
}

const ms = (value: number) => `${value.toFixed(3)} ms`;
const pct = (part: number, whole: number) => `${((part / whole) * 100).toFixed(1)} %`;
console.log(
  `bench/gateway-overhead — POST /v1/chat/completions, reference worker (max_concurrency 16); the three servers measured in turn, ${rounds} rounds each of: ` +
    `autocannon at 16 connections for ${seconds} s (after ${WARM_UP_S} s of warm-up each), then ${SEQUENTIAL} sequential requests at 1 connection and ${STREAMED} streamed ones for the first delta`,
);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
const kept: number[] = [];
/** Per run: lifeguard's CPU per request (tree) over the bare forwarder's, median of the rounds' ratios. */
const cpuRatios: number[] = [];
const cpuByServer = servers.map(() => ({ tree: [] as number[], server: [] as number[] }));
const us = (value: number) => `${Math.round(value)} µs`;
const spread = (values: number[]) => {
  const q = quantiles(values);
  return `${us(q.median)} (${us(q.min)} … ${us(q.max)})`;
};
for (let run = 1; run <= runs; run++) {
  const loadBefore = loadAverage();
  const figures = await compare();
  const [bare, hono, lifeguard] = figures as [Figures, Figures, Figures];
  console.log('');
  console.log(`run ${run} of ${runs} — load average ${loadBefore} before, ${loadAverage()} after`);
  console.log('');
  console.log('| server | CPU per request, process tree (server + worker): median (min … max of the rounds) | server process alone | throughput (16 conns): median (rounds) | p50 / p99 (16 conns) | p50 / p99 (1 conn) | first delta p50 / p99 (1 conn, streamed) |');
  console.log('|---|---|---|---|---|---|---|');
  servers.forEach((server, i) => {
    const f = figures[i]!;
    cpuByServer[i]!.tree.push(median(f.cpuTree));
    cpuByServer[i]!.server.push(median(f.cpuServer));
    console.log(`| ${server.name} | ${spread(f.cpuTree)} | ${spread(f.cpuServer)} | ${Math.round(f.rps)} req/s (${f.rounds.map(Math.round).join(', ')}) | ${ms(f.at16.p50)} / ${ms(f.at16.p99)} | ${ms(f.at1.p50)} / ${ms(f.at1.p99)} | ${ms(f.ttfb.p50)} / ${ms(f.ttfb.p99)} |`);
  });
  for (const [against, reference] of [['bare', bare], ['Hono', hono]] as const) {
    const ratio = median(lifeguard.rounds.map((rps, round) => rps / reference.rounds[round]!));
    const cpuRatio = median(lifeguard.cpuTree.map((cpu, round) => cpu / reference.cpuTree[round]!));
    if (against === 'bare') {
      kept.push(ratio);
      cpuRatios.push(cpuRatio);
    }
    console.log(
      `lifeguard against ${against}: CPU per request ×${cpuRatio.toFixed(3)} (process trees, median of the rounds' ratios; ≤ 1.25 is the target's equivalent); throughput kept ${pct(ratio, 1)} (median of the rounds' ratios); ` +
        `added p50 ${ms(lifeguard.at1.p50 - reference.at1.p50)} (1 conn), ${ms(lifeguard.at16.p50 - reference.at16.p50)} (16 conns); ` +
        `added p99 ${ms(lifeguard.at1.p99 - reference.at1.p99)} (1 conn), ${ms(lifeguard.at16.p99 - reference.at16.p99)} (16 conns); first delta +${ms(lifeguard.ttfb.p50 - reference.ttfb.p50)} (p50)`,
    );
  }
}
console.log('');
console.log(`summary over ${runs} run(s) — each run's median of its rounds; spread = min … max of the runs:`);
console.log('| server | CPU per request, process tree | server process alone |');
console.log('|---|---|---|');
servers.forEach((server, i) => console.log(`| ${server.name} | ${cpuByServer[i]!.tree.map(us).join(', ')} | ${cpuByServer[i]!.server.map(us).join(', ')} |`));
const x = (values: number[]) => values.map((v) => `×${v.toFixed(3)}`).join(', ');
console.log(`lifeguard's CPU per request against the bare forwarder's, run by run: ${x(cpuRatios)} (target: at most ×1.25)`);
console.log(`throughput kept against the bare forwarder, run by run: ${kept.map((k) => `${(k * 100).toFixed(1)} %`).join(', ')} (target: at least 80 %); added median latency target: under 1 ms`);
console.log(`load average at the end: ${loadAverage()}`);
