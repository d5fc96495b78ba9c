import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../util/logger.js';
import { isDescriptorExhaustion, reportDescriptorExhaustion } from '../util/descriptor-exhaustion.js';

/** Descriptors kept free under the limit for workers, /proc scans, the lock and the audit file. */
const RESERVED_DESCRIPTORS = 64;
/** Refused connections that may linger at once to carry their 503 (of the reserve); beyond, closed bare. */
const REFUSALS_IN_FLIGHT = 16;
const REFUSAL_LINGER_MS = 500;

const REFUSAL_BODY = JSON.stringify({
  error: { message: 'Too many open connections to lifeguard; retry later', type: 'server_error', code: 'too_many_connections' },
});
const REFUSAL =
  'HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\nConnection: close\r\n' +
  `Content-Length: ${Buffer.byteLength(REFUSAL_BODY)}\r\n\r\n${REFUSAL_BODY}`;

// The soft limit on open files (ulimit -n), from /proc/self/limits; null when unknown or unlimited.
export function openFilesLimit(limits?: string): number | null {
  try {
    const match = /^Max open files\s+(\d+)/m.exec(limits ?? readFileSync('/proc/self/limits', 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

// The connection cap: max_connections, but never closer than RESERVED_DESCRIPTORS to the descriptor limit.
export function connectionCap(maxConnections: number, fileLimit: number | null): number {
  if (fileLimit === null) return maxConnections;
  return Math.max(1, Math.min(maxConnections, fileLimit - RESERVED_DESCRIPTORS));
}

export interface ConnectionGuardOptions {
  maxConnections: number;
  /** A connection that has not sent a whole request head within this is closed. */
  headerTimeoutMs: number;
}

// Counts open client connections; one over the cap is answered 503 `too_many_connections` and closed
// at once, so idle sockets cannot use up the descriptors the workers need. A connection that never
// sends a request is closed after the header timeout (Node's own headersTimeout only starts at the
// first byte). A failed accept (out of descriptors) is logged and survived: the server keeps listening.
export function guardConnections(server: HttpServer, options: ConnectionGuardOptions, logger: Logger): { open(): number; cap: number } {
  const cap = connectionCap(options.maxConnections, openFilesLimit());
  let open = 0;
  let refusing = false;
  const silent = new WeakMap<Socket, NodeJS.Timeout>();
  server.on('request', (request: IncomingMessage) => {
    clearTimeout(silent.get(request.socket));
    silent.delete(request.socket);
  });
  // The HTTP server's own listener sees only the connections under the cap: a refused one never
  // reaches a request handler.
  const serve = server.listeners('connection') as Array<(socket: Socket) => void>;
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    open += 1;
    socket.once('close', () => {
      open -= 1;
      clearTimeout(silent.get(socket));
    });
    if (open <= cap) {
      refusing = false;
      silent.set(
        socket,
        setTimeout(() => socket.destroy(), options.headerTimeoutMs),
      );
      for (const listener of serve) listener.call(server, socket);
      return;
    }
    if (!refusing) logger.log('WARN', `refusing connections: ${cap} are open (max_connections, or the descriptor limit less ${RESERVED_DESCRIPTORS})`);
    refusing = true;
    socket.on('error', () => undefined);
    if (open > cap + REFUSALS_IN_FLIGHT) return void socket.destroy();
    // What the client sent is read and dropped, so the close is orderly and the 503 is not lost to a reset.
    socket.on('data', () => undefined);
    socket.end(REFUSAL);
    socket.setTimeout(REFUSAL_LINGER_MS, () => socket.destroy());
  });
  server.on('error', (error) => {
    if (isDescriptorExhaustion(error)) reportDescriptorExhaustion(logger, 'accepting connections', error);
    else logger.log('ERROR', `HTTP server error: ${error.message}`);
  });
  return { open: () => open, cap };
}
