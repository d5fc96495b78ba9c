// The limit lifeguard is measured against (docs/benchmarks.md): a minimal node:http server that forwards each
// request over jsonl to the reference worker, with no framework and no checks; `stream: true` is
// answered as server-sent events, one per delta.
// Run: node --import tsx bench/baseline-forwarder.ts   (prints "listening <port>")
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chunk, completion, startJsonlLink } from './jsonl-link.js';

const link = startJsonlLink();
let nextId = 0;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (piece: Buffer) => chunks.push(piece));
  req.on('end', () => {
    const id = `r${nextId++}`;
    const body = JSON.parse(Buffer.concat(chunks).toString()) as { stream?: boolean };
    if (body.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      void link.forward(id, body, (content) => res.write(`data: ${chunk(id, content)}\n\n`)).then(() => res.end('data: [DONE]\n\n'));
      return;
    }
    void link.forward(id, body).then((answer) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(completion(id, answer)));
    });
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${(server.address() as AddressInfo).port}`));
process.on('SIGTERM', () => {
  link.stop();
  process.exit(0);
});
