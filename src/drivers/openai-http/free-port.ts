import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

// A port the OS says is free on 127.0.0.1 right now (the server is started on it a moment later).
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
