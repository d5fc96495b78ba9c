import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { workerMachine } from '../../machines/worker-machine.js';
import { recordTransitions } from '../../src/observability/transition-history.js';
import type { SupervisorEvent } from '../../src/supervisor/supervisor.js';

describe('the transition ring buffer', () => {
  it('keeps the last N transitions, oldest first, with the reason and, entering recovering, the next start', () => {
    let listener: (event: SupervisorEvent) => void = () => undefined;
    const history = recordTransitions({ subscribe: (l) => ((listener = l), () => undefined) }, 3);
    const snapshot = createActor(workerMachine, { input: { workerId: 'w1' } }).getSnapshot();
    for (const to of ['starting', 'healthy', 'restarting', 'recovering']) {
      listener({ type: 'transition', workerId: 'w1', from: 'x', to, snapshot } as SupervisorEvent);
    }
    listener({ type: 'spawned', workerId: 'w1', pid: 1, run: 1 } as SupervisorEvent);
    const recent = history.recent();
    expect(recent.map((r) => r.to)).toEqual(['healthy', 'restarting', 'recovering']);
    expect(recent[2]!.next_start_at).toEqual(expect.any(String));
    expect(recent[0]!.next_start_at).toBeUndefined();
    expect(recent[0]!.reason).toBe(snapshot.context.reason);
  });
});
