// bench/memory (SPEC §9): lifeguard's own RSS idle, and its growth over 10 000 requests.
// Run: npx tsx bench/memory.ts [requests=10000]
import autocannon from 'autocannon';
import { mkdtempSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLifeguard, startServer } from './start-server.js';

const requests = Number(process.argv[2] ?? 10_000);
const lockDir = mkdtempSync(join(tmpdir(), 'lifeguard-memory-'));
const server = await startServer([buildLifeguard(), '--port', '0', '--turn-limit', '0', '--token-limit', '0', '--lock-file', join(lockDir, 'lock')], {
  REF_WORKER_CONCURRENCY: '8',
});
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const base = `http://127.0.0.1:${server.port}`;
while (((await (await fetch(`${base}/health`)).json()) as { status: string }).status !== 'healthy') await sleep(100);
await sleep(3000);
const idle = rssMb();

const run = (amount: number) =>
  autocannon({
    url: `${base}/v1/chat/completions`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'how much memory does this take' }] }),
    connections: 8,
    amount,
  });
await run(5000); // warm-up: JIT, heap spaces and pools reach their working size
await sleep(2000);
const warm = rssMb();
// Several rounds tell heap growth towards a working size from a leak: a leak keeps growing.
const rounds: number[] = [];
let result = await run(requests);
for (let round = 0; round < 3; round++) {
  if (round > 0) result = await run(requests);
  await sleep(2000);
  rounds.push(rssMb());
}
const after = rounds[0]!;
await server.stop();

console.log(`bench/memory — lifeguard (compiled) with the reference worker; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
console.log(`idle RSS: ${idle.toFixed(1)} MB (target: under 80 MB)`);
console.log(`after a 5 000-request warm-up: ${warm.toFixed(1)} MB; after ${requests} more (${result.non2xx} non-2xx): ${after.toFixed(1)} MB`);
console.log(`growth over ${requests} requests: ${(after - warm).toFixed(1)} MB (target: under 5 MB)`);
console.log(`RSS after each further round of ${requests}: ${rounds.map((mb) => `${mb.toFixed(1)} MB`).join(', ')}`);
