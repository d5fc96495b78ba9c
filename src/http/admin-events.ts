import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { healthView } from '../observability/health-view.js';
import { framedForClient } from './http10.js';
import { nodeResponse } from './incoming.js';
import { transitionRecord, type TransitionHistory } from '../observability/transition-history.js';
import type { Supervisor } from '../supervisor/supervisor.js';

type Source = Pick<Supervisor, 'snapshots' | 'stats' | 'subscribe'> & Partial<Pick<Supervisor, 'pool'>> & {
  /** Several models: their table joins the health figures (`models`). */
  modelsHealth?: () => unknown[];
  /** Several models: every loaded model's workers read from its own pool (conversations, tenants, `model`). */
  modelsWorkers?: () => unknown[];
  /** The state of the machines above the workers (the models' parent, each pool), for /ui's charts. */
  machines?: () => unknown;
};

const HEALTH_EVERY_MS = 250;
/** Events that may wait for a subscriber that does not read; more and it is disconnected. */
const MAX_QUEUED_EVENTS = 1000;

function health(source: Source) {
  const pool = source.pool ? { pool: source.pool().context } : {};
  const body = healthView({ workers: source.snapshots(), stats: source.stats(), gatewayRssBytes: process.memoryUsage().rss, now: Date.now(), ...pool }).body;
  if (!source.modelsHealth) return body;
  return { ...body, ...(source.modelsWorkers ? { workers: source.modelsWorkers() } : {}), models: source.modelsHealth() };
}

function states(source: Source) {
  return source.snapshots().map(({ id, snapshot }) => ({ id, value: snapshot.value, tags: [...snapshot.tags] }));
}

// GET /admin/events: the current snapshot of every worker and the recent transitions first (a late
// subscriber is in sync), then
// every transition as it happens and the health figures at most every 250 ms while anything changes.
// A subscriber that stops reading is disconnected once MAX_QUEUED_EVENTS wait for it.
export function streamAdminEvents(c: Context, source: Source, history?: Pick<TransitionHistory, 'recent'>): Response {
  return framedForClient(c, streamSSE(c, async (stream) => {
    let id = 0;
    const send = (event: string, data: unknown) => stream.writeSSE({ event, data: JSON.stringify(data), id: String(++id) });
    const machines = () => (source.machines ? { machines: source.machines() } : {});
    await send('snapshot', { workers: states(source), health: health(source), ...machines(), transitions: history?.recent() ?? [] });
    let healthTimer: NodeJS.Timeout | null = null;
    const queue: Array<() => Promise<void>> = [];
    let writing = Promise.resolve();
    const enqueue = (write: () => Promise<void>) => {
      if (queue.length >= MAX_QUEUED_EVENTS) {
        stream.abort();
        nodeResponse(c)?.destroy();
        return;
      }
      queue.push(write);
      writing = writing.then(() => queue.shift()?.()).catch(() => undefined);
    };
    const unsubscribe = source.subscribe((event) => {
      if (event.type === 'transition') {
        const payload = transitionRecord(event);
        enqueue(() => send('transition', payload));
      }
      healthTimer ??= setTimeout(() => {
        healthTimer = null;
        enqueue(() => send('health', { workers: states(source), health: health(source), ...machines() }));
      }, HEALTH_EVERY_MS);
    });
    await new Promise<void>((resolve) => stream.onAbort(resolve));
    unsubscribe();
    if (healthTimer) clearTimeout(healthTimer);
  }));
}
