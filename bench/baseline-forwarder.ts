// The limit lifeguard is measured against (SPEC §9): a minimal node:http server that forwards each
// request over jsonl to the reference worker, with no framework and no checks.
// Run: node --import tsx bench/baseline-forwarder.ts   (prints "listening <port>")
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { completion, startJsonlLink } from './jsonl-link.js';

const link = startJsonlLink();
let nextId = 0;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const id = `r${nextId++}`;
    void link.forward(id, JSON.parse(Buffer.concat(chunks).toString())).then((answer) => {
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
