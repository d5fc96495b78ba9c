// bench/huge-answer (issue #22): the streamed answer that crashed lifeguard — the reference worker saying
// a 1 000-character word N times over (default 600 000: ~600 MB) — read to the end by a plain client,
// with lifeguard's RSS sampled and /livez timed meanwhile; then the same answer not streamed, which
// must end in answer_too_large (max_answer_bytes 64 MiB) — asked at ~70 MB, and a normal request after both.
// Run: npx tsx bench/huge-answer.ts [repeats=600000]
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLifeguard, startServer } from './start-server.js';

const repeats = Number(process.argv[2] ?? 600_000);
const lockDir = mkdtempSync(join(tmpdir(), 'lifeguard-huge-'));
const server = await startServer([buildLifeguard(), '--port', '0', '--lock-file', join(lockDir, 'lock'), '--turn-limit', '0', '--token-limit', '0', '--idle-timeout-ms', '600000']);
const base = `http://127.0.0.1:${server.port}`;
while (((await (await fetch(`${base}/health`)).json()) as { status: string }).status !== 'healthy') await new Promise((r) => setTimeout(r, 100));
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const content = `[[repeat:${repeats}]] ${'w'.repeat(1000)}`;
let maxRss = rss();
const livez: number[] = [];
let streaming = true;
const probe = (async () => {
  while (streaming) {
    const began = performance.now();
    await fetch(`${base}/livez`).then((r) => r.text(), () => undefined);
    livez.push(performance.now() - began);
    maxRss = Math.max(maxRss, rss());
    await new Promise((r) => setTimeout(r, 500));
  }
})();

const began = performance.now();
const payload = JSON.stringify({ messages: [{ role: 'user', content }], stream: true });
const streamed = await new Promise<{ bytes: number; tail: string }>((resolve) => {
  const socket = connect(server.port, '127.0.0.1');
  let bytes = 0;
  let tail = '';
  socket.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    tail = (tail + chunk.toString('latin1')).slice(-4096);
  });
  socket.on('error', () => undefined);
  socket.once('close', () => resolve({ bytes, tail }));
  socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`);
});
const seconds = (performance.now() - began) / 1000;
streaming = false;
await probe;
console.log(`streamed: ${(streamed.bytes / 1024 / 1024).toFixed(1)} MiB received in ${seconds.toFixed(1)} s, ended ${streamed.tail.includes('data: [DONE]') ? 'with [DONE]' : `with ${/"code":"([a-z_]+)"/.exec(streamed.tail)?.[1] ?? 'no error event'}`}; lifeguard alive: ${server.child.exitCode === null}`);
// Not streamed: ~70 MB, past max_answer_bytes (64 MiB) — the reference worker says it in one synchronous loop.
const wholeContent = `[[repeat:70000]] ${'w'.repeat(1000)}`;
const whole = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ role: 'user', content: wholeContent }] }) });
const wholeBody = (await whole.json()) as { error?: { code: string } };
const after = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ role: 'user', content: 'still there?' }] }) });
const alive = server.child.exitCode === null;
await server.stop();
const sorted = [...livez].sort((a, b) => a - b);
console.log(`bench/huge-answer — ${repeats} × a 1 000-character word (~${((repeats * 1006) / 1e6).toFixed(0)} MB of text), Node ${process.version}`);
console.log(`not streamed (~70 MB): ${whole.status} ${wholeBody.error?.code ?? ''}; a request after both: ${after.status}; lifeguard alive: ${alive}`);
console.log(`lifeguard RSS max ${maxRss.toFixed(1)} MB; /livez during the stream: ${livez.length} probes, median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(1)} ms, max ${sorted.at(-1)?.toFixed(1)} ms`);
process.exit(alive && after.status === 200 && whole.status === 502 ? 0 : 1);
