// bench/cpu-slices (issue 26): is a slow run the server's own doing or the machine's? One server (lifeguard,
// or a forwarder for comparison) under autocannon at 16 connections, in consecutive slices of a few seconds
// from its start; per slice, per request: its process's user and system CPU, minor page faults, read and
// write system calls (how many requests one read of a socket or of the worker's pipe carries), context
// switches, and the CPU of each of its threads that took any. With `--trace`, lifeguard runs with V8's
// --trace-gc and --trace-deopt, and each slice also counts its scavenges (and their pause), full GCs and
// deoptimisations. Work that is the same per request in a fast and a slow slice (system calls, GCs, no
// deoptimisation, one busy thread) while the CPU it takes is not, is the machine running slower.
// Run: npx tsx bench/cpu-slices.ts [lifeguard|bare|hono=lifeguard] [slices=15] [seconds per slice=2] [--trace]
import autocannon from 'autocannon';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NODE_FLAGS } from '../src/cli/node-flags.js';
import { loadAverage, ticksPerSecond } from './process-tree-cpu.js';
import { buildLifeguard, startServer } from './start-server.js';

const trace = process.argv.includes('--trace');
const [subject = 'lifeguard', sliceCount = '15', sliceSeconds = '2'] = process.argv.slice(2).filter((arg) => arg !== '--trace');
const slices = Number(sliceCount);
const seconds = Number(sliceSeconds);
const forwarders: Record<string, string> = { bare: 'bench/baseline-forwarder.ts', hono: 'bench/hono-forwarder.ts' };
if (subject !== 'lifeguard' && !(subject in forwarders)) throw new Error(`the server must be lifeguard, bare or hono, not "${subject}"`);
if (trace && subject !== 'lifeguard') throw new Error('--trace is for lifeguard');

const dir = mkdtempSync(join(tmpdir(), 'lifeguard-slices-'));
const body = JSON.stringify({ model: 'lifeguard-reference', messages: [{ role: 'user', content: 'measure the gateway overhead' }] });
const args = subject === 'lifeguard' ? [buildLifeguard(), '--port', '0', '--turn-limit', '0', '--token-limit', '0', '--queue-size', '1024', '--lock-file', join(dir, 'lock')] : [forwarders[subject]!];
const server = await startServer(args, { REF_WORKER_CONCURRENCY: '16' }, trace ? [...NODE_FLAGS, '--trace-gc', '--trace-deopt'] : undefined);
const pid = server.child.pid!;
// V8's traces go to the server's stdout (lifeguard logs to its stderr).
let traced = '';
if (trace) server.child.stdout!.on('data', (chunk: Buffer) => (traced += chunk.toString()));

interface Counters {
  user: number;
  system: number;
  minorFaults: number;
  reads: number;
  writes: number;
  switches: number;
  /** CPU ticks of each thread, by thread id. */
  threads: Map<string, number>;
}

const fieldsOf = (stat: string) => stat.slice(stat.lastIndexOf(')') + 2).split(' ');
function counters(): Counters {
  const stat = fieldsOf(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const threads = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = fieldsOf(text);
      threads.set(tid, Number(fields[11]) + Number(fields[12]));
    } catch {
      // the thread ended meanwhile
    }
  }
  const count = (pattern: RegExp, text: string) => Number(pattern.exec(text)?.[1] ?? Number.NaN);
  return {
    user: Number(stat[11]),
    system: Number(stat[12]),
    minorFaults: Number(stat[7]),
    reads: count(/^syscr:\s+(\d+)/m, io),
    writes: count(/^syscw:\s+(\d+)/m, io),
    switches: count(/^voluntary_ctxt_switches:\s+(\d+)/m, status) + count(/^nonvoluntary_ctxt_switches:\s+(\d+)/m, status),
    threads,
  };
}

function traceFigures(text: string): string {
  let scavenges = 0;
  let scavengeMs = 0;
  for (const match of text.matchAll(/Scavenge[^\n]*?, ([\d.]+) \/ [\d.]+ ms/g)) {
    scavenges += 1;
    scavengeMs += Number(match[1]);
  }
  const fullGcs = (text.match(/Mark-Compact/g) ?? []).length;
  const deopts = [...text.matchAll(/bailout \(kind: [\w-]+[^\n]*?<JSFunction ([^ >]+)/g)].map((match) => match[1]);
  return ` | ${scavenges} scavenges (${scavengeMs.toFixed(0)} ms) | ${fullGcs} | ${deopts.length}${deopts.length ? ` (${deopts.slice(0, 6).join(', ')})` : ''}`;
}

console.log(`bench/cpu-slices (${subject}) — ${slices} slices of ${seconds} s at 16 connections from the server's start, load average ${loadAverage()}`);
console.log(`| slice | req/s | user µs/req | system µs/req | minor faults/req | reads/req | writes/req | switches/req | threads with CPU (main, or thread id: µs/req)${trace ? ' | GC | full GCs | deopts' : ''} |`);
console.log(`|---|---|---|---|---|---|---|---|---${trace ? '|---|---|---' : ''}|`);
const perRequest = (ticks: number, requests: number) => ((ticks / ticksPerSecond) * 1e6) / requests;
for (let slice = 1; slice <= slices; slice++) {
  const tracedBefore = traced.length;
  const before = counters();
  const result = await autocannon({ url: `http://127.0.0.1:${server.port}/v1/chat/completions`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: 16, duration: seconds });
  const after = counters();
  const n = result.requests.total;
  const threads = [...after.threads]
    .map(([tid, ticks]) => [tid === String(pid) ? 'main' : tid, perRequest(ticks - (before.threads.get(tid) ?? 0), n)] as const)
    .filter(([, us]) => us >= 1)
    .map(([name, us]) => `${name} ${us.toFixed(0)}`)
    .join(', ');
  const each = (a: number, b: number, digits = 2) => ((b - a) / n).toFixed(digits);
  console.log(
    `| ${slice} | ${Math.round(result.requests.average)} | ${perRequest(after.user - before.user, n).toFixed(0)} | ${perRequest(after.system - before.system, n).toFixed(0)} | ${each(before.minorFaults, after.minorFaults)} | ${each(before.reads, after.reads)} | ${each(before.writes, after.writes)} | ${each(before.switches, after.switches, 3)} | ${threads}${trace ? traceFigures(traced.slice(tracedBefore)) : ''} |`,
  );
}
await server.stop();
console.log(`load average at the end: ${loadAverage()}`);
