// bench/chaos (SPEC §9): 32 concurrent clients for 60 s against lifeguard while the worker is
// SIGKILLed at random; every request must end (success or a clear error), none may hang, no worker
// process may be left over, and lifeguard's memory must stay flat.
// Run: npx tsx bench/chaos.ts [seconds=60] [clients=32]
import { mkdtempSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { listProcesses, workerTree } from '../src/process/process-table.js';
import { buildLifeguard, startServer } from './start-server.js';

const seconds = Number(process.argv[2] ?? 60);
const clients = Number(process.argv[3] ?? 32);
const CLIENT_TIMEOUT_MS = 30_000;

const lockDir = mkdtempSync(join(tmpdir(), 'lifeguard-chaos-'));
const server = await startServer(
  [buildLifeguard(), '--port', '0', '--lock-file', join(lockDir, 'lock'), '--backoff-base-ms', '100', '--backoff-max-ms', '1000', '--max-consecutive-failures', '0', '--queue-wait-ms', '20000', '--turn-limit', '0', '--token-limit', '0'],
  { REF_WORKER_CONCURRENCY: '8', REF_WORKER_DELTA_DELAY_MS: '5' },
);
const base = `http://127.0.0.1:${server.port}`;
const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const health = async () => (await (await fetch(`${base}/health`)).json()) as { status: string; workers: Array<{ pid: number | null }> };
while ((await health()).status !== 'healthy') await new Promise((r) => setTimeout(r, 100));

const outcomes = new Map<string, number>();
const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
let hung = 0;
const deadline = Date.now() + seconds * 1000;
const rssSamples: number[] = [];
const workerPids = new Set<number>();

async function client(id: number) {
  let n = 0;
  while (Date.now() < deadline) {
    const stream = (n++ + id) % 2 === 0;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), CLIENT_TIMEOUT_MS);
    try {
      const response = await fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: `client ${id} request ${n} with a few words to stream` }], stream }),
        signal: controller.signal,
      });
      const text = await response.text();
      if (response.status !== 200) count(`${response.status} ${(JSON.parse(text) as { error: { code: string } }).error.code}`);
      else if (!stream) count('200 complete');
      else if (text.trim().endsWith('data: [DONE]')) count('200 stream complete');
      else if (text.includes('"error"')) count(`200 stream ended with ${/"code":"([a-z_]+)"/.exec(text)?.[1] ?? 'error'} event`);
      else count('200 stream cut without an error event');
    } catch (error) {
      if (controller.signal.aborted) hung += 1;
      else count(`client error ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }
}

async function chaosMonkey() {
  let kills = 0;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200 + Math.random() * 1800));
    const pid = (await health()).workers[0]?.pid;
    if (!pid) continue;
    workerPids.add(pid);
    try {
      process.kill(pid, 'SIGKILL');
      kills += 1;
    } catch {
      // Already gone.
    }
  }
  return kills;
}

const sampler = setInterval(() => rssSamples.push(rssOf(server.child.pid!)), 1000);
const [kills] = await Promise.all([chaosMonkey(), ...Array.from({ length: clients }, (_, i) => client(i))]);
clearInterval(sampler);
const finalHealth = await health();
const lastPid = finalHealth.workers[0]?.pid;
await server.stop();
await new Promise((r) => setTimeout(r, 500));
const leftovers = [...workerPids, ...(lastPid ? [lastPid] : [])].flatMap((pid) => workerTree(pid)).map((p) => p.pid);
const zombies = listProcesses().filter((p) => p.state === 'Z' && p.ppid === process.pid);

const total = [...outcomes.values()].reduce((a, b) => a + b, 0) + hung;
const third = Math.max(1, Math.floor(rssSamples.length / 3));
const early = rssSamples.slice(0, third);
const late = rssSamples.slice(-third);
const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
console.log(`bench/chaos — ${clients} clients (half streaming) for ${seconds} s, worker SIGKILLed every 0.2–2 s; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
console.log(`requests: ${total}, worker kills: ${kills}`);
for (const [outcome, n] of [...outcomes].sort((a, b) => b[1] - a[1])) console.log(`  ${outcome}: ${n}`);
console.log(`hung (no answer within ${CLIENT_TIMEOUT_MS / 1000} s): ${hung}`);
console.log(`worker processes left after stop: ${leftovers.length}; zombies: ${zombies.length}`);
console.log(`lifeguard RSS: first third ${avg(early).toFixed(1)} MB, last third ${avg(late).toFixed(1)} MB, max ${Math.max(...rssSamples).toFixed(1)} MB`);
const ok = hung === 0 && leftovers.length === 0 && zombies.length === 0 && !outcomes.has('200 stream cut without an error event');
console.log(ok ? 'PASS: every request ended, none hung, nothing left behind' : 'FAIL');
process.exit(ok ? 0 : 1);
