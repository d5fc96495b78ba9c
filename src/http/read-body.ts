import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { BodyTooLargeError } from '../errors.js';
import { nodeRequest, requestHeader } from './incoming.js';

// A chunked Node request body, counted as it arrives. Past the limit the rest is read and dropped
// (not destroyed), so the 413 still reaches the client on a connection that stays usable.
function readIncoming(incoming: IncomingMessage, limitBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limitBytes) return void parts.push(chunk);
      incoming.off('data', onData).off('end', onEnd).off('error', reject);
      incoming.resume();
      reject(new BodyTooLargeError(limitBytes));
    };
    const onEnd = () => resolve(Buffer.concat(parts, size).toString('utf8'));
    incoming.on('data', onData).once('end', onEnd).once('error', reject);
  });
}

// A fetch body (app.request() in tests, other runtimes), counted the same way.
async function readStream(body: ReadableStream<Uint8Array>, limitBytes: number): Promise<string> {
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    size += read.value.byteLength;
    if (size > limitBytes) {
      void reader.cancel().catch(() => undefined);
      throw new BodyTooLargeError(limitBytes);
    }
    parts.push(read.value);
  }
  return Buffer.concat(parts, size).toString('utf8');
}

// The request body as text, at most `limitBytes` (413 beyond). A declared Content-Length is checked
// before a byte is read, and the body is then read by @hono/node-server straight from the Node
// request (no fetch Request, no web stream); a chunked body is counted as it arrives.
export function readBodyText(c: Context, limitBytes: number): Promise<string> {
  const declared = requestHeader(c, 'content-length');
  if (declared !== undefined && requestHeader(c, 'transfer-encoding') === undefined) {
    if (Number(declared) > limitBytes) return Promise.reject(new BodyTooLargeError(limitBytes));
    return c.req.text();
  }
  const incoming = nodeRequest(c);
  if (incoming) return readIncoming(incoming, limitBytes);
  const body = c.req.raw.body;
  return body ? readStream(body, limitBytes) : Promise.resolve('');
}
