import type { Supervisor, SupervisorEvent } from '../supervisor/supervisor.js';

/** One transition as /ui and GET /admin/events show it. */
export interface TransitionRecord {
  worker: string;
  from: string | null;
  to: string;
  value: unknown;
  /** Why the machine took this transition (`verified`, `backoff_elapsed`, `crash`, …). */
  reason: string | null;
  /** Why the worker last left service (`crash`, `proactive`, …). */
  restart_reason: string | null;
  at: string;
  /** Entering `recovering`: when the next start is due. */
  next_start_at?: string;
}

export function transitionRecord(event: Extract<SupervisorEvent, { type: 'transition' }>, now = Date.now()): TransitionRecord {
  const { context } = event.snapshot;
  return {
    worker: event.workerId,
    from: event.from,
    to: event.to,
    value: event.snapshot.value,
    reason: context.reason ?? null,
    restart_reason: context.restartReason ?? null,
    at: new Date(now).toISOString(),
    ...(event.to === 'recovering' ? { next_start_at: new Date(now + context.backoffMs).toISOString() } : {}),
  };
}

// The last `size` transitions of every worker, kept from the start so a page opened later sees the
// history (a ring: the oldest falls out).
export function recordTransitions(supervisor: Pick<Supervisor, 'subscribe'>, size = 200) {
  const ring: TransitionRecord[] = [];
  const unsubscribe = supervisor.subscribe((event) => {
    if (event.type !== 'transition') return;
    ring.push(transitionRecord(event));
    if (ring.length > size) ring.shift();
  });
  return {
    recent: (): TransitionRecord[] => [...ring],
    /** The latest transition of a worker into a state, if still in the ring. */
    latest: (worker: string): TransitionRecord | undefined => ring.findLast((r) => r.worker === worker),
    close: unsubscribe,
  };
}

export type TransitionHistory = ReturnType<typeof recordTransitions>;
