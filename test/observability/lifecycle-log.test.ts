import { describe, expect, it } from 'vitest';
import { logLifecycle } from '../../src/observability/lifecycle-log.js';
import type { SupervisorEvent, WorkerSnapshot } from '../../src/supervisor/supervisor-types.js';
import type { LogMarker } from '../../src/util/logger.js';

// What logLifecycle reads of a snapshot on a transition.
const snapshot = (restartReason: string | null) =>
  ({ context: { restartReason, reason: 'drained', usage: { tokens: 0, turns: 8 }, limits: { tokenLimit: 0, turnLimit: 10 } } }) as unknown as WorkerSnapshot;

const transition = (from: string, to: string, restartReason: string | null): SupervisorEvent => ({ type: 'transition', workerId: 'w1', from, to, snapshot: snapshot(restartReason) });

function markers(events: SupervisorEvent[]): LogMarker[] {
  const logged: LogMarker[] = [];
  for (const event of events) logLifecycle(event, { log: (marker) => logged.push(marker) });
  return logged;
}

describe('lifecycle log', () => {
  it('marks a restart by the context [PROACTIVE] when its drain is seen, then [RESTART]', () => {
    expect(markers([transition('healthy', 'draining', 'proactive'), transition('draining', 'restarting', 'proactive')])).toEqual(['PROACTIVE', 'RESTART']);
    expect(markers([transition('healthy', 'draining', 'hard_limit'), transition('draining', 'restarting', 'hard_limit')])).toEqual(['PROACTIVE', 'RESTART']);
  });

  it('marks it the same when the drain ended in the step that began it (nothing in flight: healthy → restarting)', () => {
    expect(markers([transition('healthy', 'restarting', 'proactive')])).toEqual(['PROACTIVE', 'RESTART']);
  });

  it('marks any other restart [RESTART] alone', () => {
    expect(markers([transition('healthy', 'restarting', 'admin_restart')])).toEqual(['RESTART']);
    expect(markers([transition('healthy', 'draining', 'admin_restart'), transition('draining', 'restarting', 'admin_restart')])).toEqual(['INFO', 'RESTART']);
  });
});
