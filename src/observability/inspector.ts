import type { InspectionObserver } from '../supervisor/supervisor.js';
import type { Logger } from '../util/logger.js';

const SECRET = /key|token|secret|password|authorization|cookie/i;

// A deep copy with every value under a secret-looking key replaced, for what leaves the machine.
export function redactSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map(redactSecrets) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key, SECRET.test(key) ? '[redacted]' : redactSecrets(inner)]),
  ) as T;
}

// --inspect: Stately's inspector (opt-in; it needs internet). Loaded only when asked for.
export async function startSkyInspector(logger: Logger): Promise<InspectionObserver> {
  const { createSkyInspector } = await import('@statelyai/inspect');
  // Offline, the inspector retries every second: say so once a minute, not every time.
  let lastWarning = 0;
  const inspector = createSkyInspector({
    onerror: (error: Error) => {
      if (Date.now() - lastWarning < 60_000) return;
      lastWarning = Date.now();
      logger.log('WARN', `inspector: ${error.message} (it keeps retrying; this is logged at most once a minute)`);
    },
    sanitizeContext: redactSecrets,
    sanitizeEvent: redactSecrets,
  });
  logger.log('INFO', "--inspect: the workers' actors are sent to Stately's inspector (context sanitised)");
  return inspector.inspect;
}
