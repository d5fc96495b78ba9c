import type { Logger } from './logger.js';

/** EMFILE (this process) or ENFILE (the whole system): out of file descriptors. */
export const isDescriptorExhaustion = (error: unknown) => {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'EMFILE' || code === 'ENFILE';
};

const REPEAT_MS = 60_000;
const lastReported = new Map<string, number>();

// Running out of descriptors is survived wherever it happens (accept, /proc scans, spawn, the audit
// file) and logged once per place and minute, never once per failure.
export function reportDescriptorExhaustion(logger: Logger, where: string, error: unknown, now: number = Date.now()): void {
  const last = lastReported.get(where);
  if (last !== undefined && now - last < REPEAT_MS) return;
  lastReported.set(where, now);
  logger.log(
    'ERROR',
    `out of file descriptors (${(error as NodeJS.ErrnoException).code}) in ${where}: lifeguard carries on; raise the limit (ulimit -n) or lower max_connections`,
  );
}
