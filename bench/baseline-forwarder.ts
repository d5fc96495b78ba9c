// The limit lifeguard is measured against (SPEC §9): a minimal node:http server that forwards each
// request over jsonl to the reference worker, with no framework and no checks.
// Run: node --import tsx bench/baseline-forwarder.ts   (prints "listening <port>")
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { referenceWorkerPath } from '../src/reference-worker.js';

const worker = spawn(process.execPath, [referenceWorkerPath()], { stdio: ['pipe', 'pipe', 'inherit'], env: process.env });
const pending = new Map<string, { content: string; finish: (line: Record<string, any>) => void }>();
let nextId = 0;
createInterface({ input: worker.stdout }).on('line', (line) => {
  const message = JSON.parse(line) as Record<string, any>;
  const entry = pending.get(message.id);
  if (!entry) return;
  if (message.type === 'delta') entry.content += message.content;
  if (message.type === 'done') {
    pending.delete(message.id);
    entry.finish(message);
  }
});

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString());
    const id = `r${nextId++}`;
    const entry = {
      content: '',
      finish: (done: Record<string, any>) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id,
            object: 'chat.completion',
            created: 0,
            model: 'lifeguard-reference',
            choices: [{ index: 0, message: { role: 'assistant', content: entry.content }, finish_reason: done.finish_reason }],
            usage: done.usage,
          }),
        );
      },
    };
    pending.set(id, entry);
    worker.stdin.write(`${JSON.stringify({ type: 'request', id, body })}\n`);
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${(server.address() as AddressInfo).port}`));
process.on('SIGTERM', () => {
  worker.kill('SIGKILL');
  process.exit(0);
});
