import { connect, type Socket } from 'node:net';

export interface RawExchange {
  socket: Socket;
  /** Everything received so far, as text. */
  text(): string;
  /** Resolves when the server closes the connection. */
  closed: Promise<void>;
}

/** A POST written by hand on a plain socket (the test decides when, or whether, to read the answer). */
export function rawPost(url: string, path: string, body: unknown, options: { httpVersion?: '1.0' | '1.1'; paused?: boolean } = {}): RawExchange {
  const { hostname, port } = new URL(url);
  const payload = JSON.stringify(body);
  const socket = connect(Number(port), hostname);
  const chunks: Buffer[] = [];
  if (options.paused) socket.pause();
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(
    `POST ${path} HTTP/${options.httpVersion ?? '1.1'}\r\nHost: ${hostname}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`,
  );
  return { socket, text: () => Buffer.concat(chunks).toString('utf8'), closed };
}

/** Opens `count` connections that never send a byte; resolves once all are connected (or refused). */
export async function idleSockets(url: string, count: number): Promise<Socket[]> {
  const { hostname, port } = new URL(url);
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Socket>((resolve) => {
          const socket = connect(Number(port), hostname);
          socket.on('error', () => resolve(socket));
          socket.once('connect', () => resolve(socket));
        }),
    ),
  );
}

/** The payload of an SSE stream's `data:` lines, for a raw HTTP/1.1 chunked or HTTP/1.0 body. */
export const sseData = (text: string) => [...text.matchAll(/^data: (.*)$/gm)].map((m) => m[1]!);
