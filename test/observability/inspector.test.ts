import { describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { redactSecrets } from '../../src/observability/inspector.js';
import { referenceDriver } from '../support/drivers.js';
import { fastPolicy } from '../support/start-supervisor.js';
import { createSupervisor } from '../../src/supervisor/supervisor.js';

describe('--inspect', () => {
  it('redacts every secret-looking key, however deep', () => {
    expect(
      redactSecrets({ apiKey: 'sk-1', nested: { admin_token: 't', list: [{ password: 'p', ok: 1 }] }, authorization: 'Bearer x', keep: 'yes' }),
    ).toEqual({ apiKey: '[redacted]', nested: { admin_token: '[redacted]', list: [{ password: '[redacted]', ok: 1 }] }, authorization: '[redacted]', keep: 'yes' });
  });

  it("the supervisor hands every worker actor's events to the inspector", async () => {
    const seen: InspectionEvent[] = [];
    const supervisor = createSupervisor({
      workers: 1,
      driver: referenceDriver(),
      policy: fastPolicy,
      queueSize: 1,
      queueWaitMs: 1000,
      inspect: (event) => seen.push(event),
    });
    supervisor.start();
    try {
      await new Promise<void>((resolve) => {
        const stop = supervisor.subscribe(() => {
          if (supervisor.snapshots()[0]!.snapshot.hasTag('accepting')) {
            stop();
            resolve();
          }
        });
      });
      expect(seen.some((e) => e.type === '@xstate.snapshot')).toBe(true);
      expect(seen.some((e) => e.type === '@xstate.event' && e.event.type === 'worker.ready')).toBe(true);
    } finally {
      await supervisor.stop();
    }
  });
});
