// bench/profile-lifeguard (issue 26): where lifeguard's CPU per request goes. Starts the compiled
// lifeguard (reference worker, logs to a pipe this process reads, as in production) under
// `node --cpu-prof`, loads it with autocannon at C connections for S seconds after a warm-up, stops it,
// and prints the profile's self time by part of the hot path (grouped by source file / package) and
// the heaviest functions, as shares of the sampled time and as µs per request.
// The same for the forwarders lifeguard is measured against (`bare`: bench/baseline-forwarder.ts, `hono`:
// bench/hono-forwarder.ts), to tell lifeguard's own parts from what any forwarder pays.
// Run: npx tsx bench/profile-lifeguard.ts [seconds=10] [connections=16] [top functions=25] [lifeguard|bare|hono]
import autocannon from 'autocannon';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAverage, processCpuSeconds } from './process-tree-cpu.js';
import { buildLifeguard, startServer } from './start-server.js';

const seconds = Number(process.argv[2] ?? 10);
const connections = Number(process.argv[3] ?? 16);
const top = Number(process.argv[4] ?? 25);
const subject = process.argv[5] ?? 'lifeguard';
const forwarders: Record<string, string> = { bare: 'bench/baseline-forwarder.ts', hono: 'bench/hono-forwarder.ts' };
const dir = mkdtempSync(join(tmpdir(), 'lifeguard-profile-'));
const body = JSON.stringify({ model: 'lifeguard-reference', messages: [{ role: 'user', content: 'measure the gateway overhead' }] });

if (subject !== 'lifeguard' && !(subject in forwarders)) throw new Error(`the server must be lifeguard, bare or hono, not "${subject}"`);
const profiled = ['--cpu-prof', '--cpu-prof-dir', dir];
const serverArgs = subject === 'lifeguard'
  ? [...profiled, buildLifeguard(), '--port', '0', '--turn-limit', '0', '--token-limit', '0', '--queue-size', '1024', '--lock-file', join(dir, 'lock')]
  : ['--import', 'tsx', ...profiled, forwarders[subject]!];
const server = await startServer(serverArgs, {
  REF_WORKER_CONCURRENCY: '16',
});
const run = (duration: number) => autocannon({ url: `http://127.0.0.1:${server.port}/v1/chat/completions`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections, duration });
await run(3); // warm-up, left out of the figures below
// V8's profile clock and process.hrtime are both CLOCK_MONOTONIC: the samples of the measured spell are kept.
const began = Number(process.hrtime.bigint() / 1000n);
const cpuBefore = processCpuSeconds(server.child.pid!);
const result = await run(seconds);
const cpuS = processCpuSeconds(server.child.pid!) - cpuBefore;
const ended = Number(process.hrtime.bigint() / 1000n);
await server.stop();

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number };
const selfUs = new Map<number, number>();
let at = profile.startTime;
profile.samples.forEach((id, i) => {
  const delta = Math.max(0, profile.timeDeltas[i] ?? 0);
  at += delta;
  if (at >= began && at <= ended) selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
});
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const idle = profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').reduce((sum, n) => sum + (selfUs.get(n.id) ?? 0), 0);

// A part of the hot path: lifeguard's own source by directory/file, a package by name, V8/Node internals by kind.
function partOf(node: Node): string {
  const { url, functionName } = node.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : `(native) ${functionName}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `package ${pkg[1]}`;
  const own = /dist\/(src|machines)\/(.+)\.js$/.exec(url);
  if (own) return `lifeguard ${own[1]}/${own[2]}`;
  if (url.startsWith('node:internal/')) return `node ${url.slice(5).split('/').slice(0, 3).join('/')}`;
  if (url.startsWith('node:')) return `node ${url.slice(5)}`;
  return url;
}
const byPart = new Map<string, number>();
const byFunction = new Map<string, number>();
for (const node of profile.nodes) {
  const us = selfUs.get(node.id) ?? 0;
  if (!us) continue;
  byPart.set(partOf(node), (byPart.get(partOf(node)) ?? 0) + us);
  const name = `${node.callFrame.functionName || '(anonymous)'} ${partOf(node)}:${node.callFrame.lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + us);
}
const busy = total - idle;
const requests = result.requests.total;
// Sampled shares, scaled to the process's CPU per request over the spell (from /proc).
const perRequestUs = (cpuS / requests) * 1e6;
const line = (name: string, us: number) => `| ${name} | ${((us / busy) * 100).toFixed(1)} % | ${((us / busy) * perRequestUs).toFixed(1)} µs |`;
console.log(`bench/profile-lifeguard (${subject}) — ${connections} connections × ${seconds} s: ${Math.round(result.requests.average)} req/s, ${requests} requests, ${subject} process ${(cpuS * 1e6 / requests).toFixed(0)} µs CPU per request; load average ${loadAverage()}`);
console.log(`profile: ${file} in ${dir} (open in Chrome DevTools); busy samples ${(busy / 1e6).toFixed(2)} s of ${(total / 1e6).toFixed(2)} s`);
console.log('');
console.log('| part (self time) | share of busy time | µs per request |');
console.log('|---|---|---|');
for (const [name, us] of [...byPart].filter(([name]) => name !== '(idle)').sort((a, b) => b[1] - a[1])) if (us / busy >= 0.005) console.log(line(name, us));
console.log('');
console.log('| function (self time) | share | µs per request |');
console.log('|---|---|---|');
for (const [name, us] of [...byFunction].filter(([name]) => !name.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(line(name, us));
