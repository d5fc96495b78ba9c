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

/** Opens `count` streams (~1.5 MB answers each) that never read a byte until the deadline, then reads what is there (the global stream budget's case). */
export async function manyNonReaders(port: number, count: number, deadline: number, tally: Tally): Promise<void> {
  await Promise.all(
    Array.from({ length: count }, async () => {
      const text = await exchange(port, longAnswer(150), (socket) => {
        socket.pause();
        setTimeout(() => socket.resume(), Math.max(0, deadline - Date.now()));
      });
      bump(tally, `many non-readers: ${endingOf(text)}`);
    }),
  );
}

/** The issue's crash case: a 1 000-character word said `times` times over, streamed and read to the end without keeping it. */
function hugeStream(port: number, times: number): Promise<{ bytes: number; tail: string }> {
  const payload = JSON.stringify({ messages: [{ role: 'user', content: `[[slow:0]] [[repeat:${times}]] ${'w'.repeat(1000)}` }], stream: true });
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
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
}

/** Asks for huge answers: one streamed (`times` × 1 000 characters, read and dropped), one not streamed (past max_answer_bytes). */
export async function hugeAnswers(port: number, times: number, deadline: number, tally: Tally, largest: { bytes: number }): Promise<void> {
  while (Date.now() < deadline) {
    const streamed = await hugeStream(port, times);
    largest.bytes = Math.max(largest.bytes, streamed.bytes);
    bump(tally, `huge stream (${times} × 1 000 chars): ${streamed.tail.includes('data: [DONE]') ? 'stream complete' : `stream ended with ${[...streamed.tail.matchAll(/"code":"([a-z_]+)"/g)].at(-1)?.[1] ?? 'no error event'}`}`);
    if (Date.now() >= deadline) break;
    const whole = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: `[[slow:0]] [[repeat:70000]] ${'w'.repeat(1000)}` }] }),
    }).then(async (r) => `${r.status} ${/"code":"([a-z_]+)"/.exec(await r.text())?.[1] ?? ''}`.trim(), (error: Error) => `client error ${error.message}`);
    bump(tally, `huge answer not streamed (~70 MB): ${whole}`);
  }
}
