// bench/allocation-profile (issue 26): what lifeguard allocates per request, by function — the
// young-generation GC's work is made of it. lifeguard runs in this process (reference worker; its logs
// go to this process's stderr: pipe it to a reader), V8's sampling heap profiler counts every sampled
// allocation including objects that died young, and autocannon (a separate process) loads it.
// Run: npx tsx bench/allocation-profile.ts [seconds=10] [connections=16] [top=30] 2>/dev/null
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLifeguard } from '../src/cli/start-lifeguard.js';
import { loadConfig } from '../src/config/load-config.js';
import { createLogger } from '../src/util/logger.js';

const seconds = Number(process.argv[2] ?? 10);
const connections = Number(process.argv[3] ?? 16);
const top = Number(process.argv[4] ?? 30);
process.env.REF_WORKER_CONCURRENCY = '16';
const dir = mkdtempSync(join(tmpdir(), 'lifeguard-alloc-'));
const lifeguard = await startLifeguard(loadConfig(['--port', '0', '--turn-limit', '0', '--token-limit', '0', '--queue-size', '1024', '--lock-file', join(dir, 'lock')], {}), createLogger('text'));
const body = JSON.stringify({ model: 'lifeguard-reference', messages: [{ role: 'user', content: 'measure the gateway overhead' }] });
const autocannon = (duration: number) =>
  new Promise<number>((resolve, reject) => {
    const child = spawn('npx', ['autocannon', '--json', '-c', String(connections), '-d', String(duration), '-m', 'POST', '-H', 'content-type=application/json', '-b', body, `${lifeguard.url}/v1/chat/completions`], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', () => {
      try {
        resolve((JSON.parse(out) as { requests: { total: number } }).requests.total);
      } catch (error) {
        reject(error);
      }
    });
  });
await autocannon(3); // warm-up
const session = new Session();
session.connect();
await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as object);
const requests = await autocannon(seconds);
const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: { head: HeapNode } };
session.disconnect();
await lifeguard.shutdown();

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}
const byFunction = new Map<string, number>();
const byPart = new Map<string, number>();
const partOf = (url: string) => {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `package ${pkg[1]}`;
  const own = /\/(src|machines)\/(.+)\.ts$/.exec(url);
  if (own) return `lifeguard ${own[1]}/${own[2]}`;
  return url.startsWith('node:') ? `node ${url.slice(5)}` : url || '(native)';
};
let total = 0;
const walk = (node: HeapNode) => {
  total += node.selfSize;
  const part = partOf(node.callFrame.url);
  byPart.set(part, (byPart.get(part) ?? 0) + node.selfSize);
  const name = `${node.callFrame.functionName || '(anonymous)'} ${part}:${node.callFrame.lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + node.selfSize);
  node.children.forEach(walk);
};
walk(profile.head);
const perRequest = (bytes: number) => `${(bytes / requests).toFixed(0)} B`;
console.log(`bench/allocation-profile — ${requests} requests in ${seconds} s at ${connections} connections; sampled allocations ${perRequest(total)} per request (every object, dead or alive)`);
console.log('');
console.log('| part | bytes per request | share |');
console.log('|---|---|---|');
for (const [name, bytes] of [...byPart].sort((a, b) => b[1] - a[1]).filter(([, bytes]) => bytes / total >= 0.01)) console.log(`| ${name} | ${perRequest(bytes)} | ${((bytes / total) * 100).toFixed(1)} % |`);
console.log('');
console.log('| function | bytes per request | share |');
console.log('|---|---|---|');
for (const [name, bytes] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`| ${name} | ${perRequest(bytes)} | ${((bytes / total) * 100).toFixed(1)} % |`);
