import { ConflictError } from '../errors.js';
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
