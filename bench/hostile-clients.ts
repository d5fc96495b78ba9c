// The hostile half of bench/chaos --hostile: clients that misbehave on purpose while the worker is
// being killed. Each kind counts how its exchanges ended; none may hang the gateway.
import { connect, type Socket } from 'node:net';

export type Tally = Map<string, number>;
const bump = (tally: Tally, key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// How a raw SSE exchange ended, from the text received.
function endingOf(text: string): string {
  if (!text) return 'nothing received';
  const status = /^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? '?';
  if (status !== '200') return `${status} ${/"code":"([a-z_]+)"/.exec(text)?.[1] ?? ''}`.trim();
  if (text.includes('data: [DONE]')) return 'stream complete';
  const code = [...text.matchAll(/"code":"([a-z_]+)"/g)].at(-1)?.[1];
  return code ? `stream ended with ${code}` : 'stream cut without an error event';
}

// One streaming request on its own socket; `read` decides how (and whether) the answer is read.
function exchange(port: number, content: string, read: (socket: Socket) => void): Promise<string> {
  const payload = JSON.stringify({ messages: [{ role: 'user', content }], stream: true });
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.once('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`,
    );
    read(socket);
  });
}

// A long answer from a short request: the reference worker echoes ten 1 KB words `times` times over,
// all at once ([[slow:0]]).
const longAnswer = (times: number) => `[[slow:0]] [[repeat:${times}]] ${Array.from({ length: 10 }, (_, i) => `${'w'.repeat(1000)}${i}`).join(' ')}`;

/** Asks for ~12 MB of answer (more than the kernel's socket buffers hold) and reads nothing for 3 s, then reads on. */
export async function nonReader(port: number, deadline: number, tally: Tally): Promise<void> {
  while (Date.now() < deadline) {
    const text = await exchange(port, longAnswer(1200), (socket) => {
      socket.pause();
      setTimeout(() => socket.resume(), 3000);
    });
    bump(tally, `non-reader: ${endingOf(text)}`);
  }
}

/** Reads a ~500 KB answer in small sips, pausing 20–200 ms between them. */
export async function slowReader(port: number, deadline: number, tally: Tally): Promise<void> {
  while (Date.now() < deadline) {
    const text = await exchange(port, longAnswer(50), (socket) => {
      socket.on('data', () => {
        socket.pause();
        setTimeout(() => socket.resume(), 20 + Math.random() * 180);
      });
    });
    bump(tally, `slow reader: ${endingOf(text)}`);
  }
}

/** Sends a request and hangs up after 0–50 ms. */
export async function disconnecter(port: number, deadline: number, tally: Tally): Promise<void> {
  while (Date.now() < deadline) {
    await exchange(port, 'a request whose client hangs up', (socket) => {
      setTimeout(() => socket.destroy(), Math.random() * 50);
    });
    bump(tally, 'disconnecter: hung up');
    await sleep(10);
  }
}

/** Keeps `count` connections open that never send a byte, opening a new one for each the server closes. */
export async function idleHolder(port: number, count: number, deadline: number, tally: Tally): Promise<void> {
  const sockets = new Set<Socket>();
  const open = () => {
    if (Date.now() >= deadline) return;
    const socket = connect(port, '127.0.0.1');
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      sockets.delete(socket);
      bump(tally, 'idle socket: closed by lifeguard');
      setTimeout(open, 100);
    });
  };
  for (let i = 0; i < count; i++) open();
  while (Date.now() < deadline) await sleep(200);
  for (const socket of sockets) {
    socket.removeAllListeners('close');
    socket.destroy();
  }
}
