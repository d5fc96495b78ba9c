// The framework alone: the same forwarding as bench/baseline-forwarder.ts, as a minimal Hono app on
// @hono/node-server (lifeguard's stack). What lifeguard costs beyond this is lifeguard's own.
// Run: node --import tsx bench/hono-forwarder.ts   (prints "listening <port>")
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { AddressInfo } from 'node:net';
import { chunk, completion, startJsonlLink } from './jsonl-link.js';

const link = startJsonlLink();
let nextId = 0;

const app = new Hono();
app.post('/v1/chat/completions', async (c) => {
  const id = `r${nextId++}`;
  const body = await c.req.json<{ stream?: boolean }>();
  if (!body.stream) return c.json(completion(id, await link.forward(id, body)));
  return streamSSE(c, async (stream) => {
    await link.forward(id, body, (content) => void stream.writeSSE({ data: chunk(id, content) }));
    await stream.writeSSE({ data: '[DONE]' });
  });
});
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => console.log(`listening ${info.port}`));
process.on('SIGTERM', () => {
  link.stop();
  server.close();
  process.exit(0);
});
