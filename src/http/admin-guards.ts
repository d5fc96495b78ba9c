import type { Context } from 'hono';
import { ConflictError, ForbiddenError, UnauthorizedError } from '../errors.js';
import { bearerMatches, isLoopback, proxyHeaderOf } from './auth.js';
import type { Supervisor } from '../supervisor/supervisor.js';

// `recover` leaves offline; on a worker in any other state it would do nothing, so it is refused
// with 409 and a message saying what the worker is doing instead. An unknown worker falls through
// to the supervisor's own 404.
export function refuseRecoverUnlessOffline(supervisor: Pick<Supervisor, 'snapshots'>, workerId: string): void {
  const snapshot = supervisor.snapshots().find((w) => w.id === workerId)?.snapshot;
  if (!snapshot || snapshot.matches('offline')) return;
  const state = typeof snapshot.value === 'string' ? snapshot.value : Object.keys(snapshot.value)[0];
  throw new ConflictError(`Worker ${workerId} is ${state}, not offline: recover only brings an offline worker back (use restart for a graceful restart)`);
}

// Who may call /admin/*: with an admin token, whoever presents it; without one, loopback clients —
// but only directly: a request that came through a proxy (a same-host reverse proxy or sidecar would
// lend loopback to anyone) is refused with 403, naming the header that gave it away.
export function refuseAdminUnlessAllowed(c: Context, adminToken: string | null, clientAddress: string | undefined): void {
  if (adminToken) {
    if (!bearerMatches(c.req.header('authorization'), adminToken)) throw new UnauthorizedError('Missing or invalid admin token: send Authorization: Bearer <admin token>');
    return;
  }
  if (!isLoopback(clientAddress)) throw new UnauthorizedError('Admin calls are allowed from loopback only when no admin token is configured');
  const proxied = proxyHeaderOf((name) => c.req.header(name));
  if (proxied) {
    throw new ForbiddenError(
      `Admin calls without an admin token are allowed only from loopback clients directly; this one came through a proxy (it carries ${proxied}). Configure --admin-token (LIFEGUARD_ADMIN_TOKEN) to call /admin/* through a proxy`,
    );
  }
}
