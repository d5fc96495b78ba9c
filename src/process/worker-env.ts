import { randomUUID } from 'node:crypto';

/** The variable that marks a process as a worker of one lifeguard (its value: that lifeguard's mark). */
export const WORKER_MARK_VARIABLE = 'LIFEGUARD_WORKER_OF';

let mark: string | undefined;
/** This lifeguard's mark: random, one per process, kept in the lock file next to the groups it records. */
export const lifeguardMark = () => (mark ??= randomUUID());

/** lifeguard's own settings that carry secrets: never passed to a worker. */
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL/i;

// The environment a worker inherits: lifeguard's, without the secrets of lifeguard itself
// (LIFEGUARD_API_KEY, LIFEGUARD_ADMIN_TOKEN and any other LIFEGUARD_* whose name says key, token,
// secret, password or credential), plus what the driver adds for it. Everything else — PATH, HOME,
// the model provider's own keys such as ANTHROPIC_API_KEY — the worker needs and keeps. Every worker
// carries this lifeguard's mark (LIFEGUARD_WORKER_OF), so that a later lifeguard signals only processes
// that provably are lifeguard's own (see orphan-groups.ts).
export function workerEnvironment(parent: NodeJS.ProcessEnv, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(parent)) {
    if (value === undefined) continue;
    if (name.startsWith('LIFEGUARD_') && SECRET_NAME.test(name.slice('LIFEGUARD_'.length))) continue;
    env[name] = value;
  }
  return { ...env, ...extra, [WORKER_MARK_VARIABLE]: lifeguardMark() };
}
