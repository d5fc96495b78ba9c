import { createActor } from 'xstate';
import type { InspectionEvent } from 'xstate';
import { describe, expect, it } from 'vitest';

// The machine is imported inside the tests, never at the top of this file: a definition xstate
// rejects (a target that names no state) then fails a test here, where otherwise every file that
// imports the machine would just fail to load, and a mutation run would count that as no test failing.
const load = async () => (await import('../../machines/worker-machine.js')).workerMachine;

describe('worker machine: its definition', () => {
  it('loads, is named worker, and the states its transitions target by id exist', async () => {
    const machine = await load();
    expect(machine.id).toBe('worker');
    const paths = ['starting', 'healthy', 'draining', 'restarting'].map((id) => machine.getStateNodeById(id).path.join('.'));
    expect(paths).toEqual(['starting', 'healthy', 'draining', 'restarting']);
    expect(Object.keys(machine.states)).toEqual(['starting', 'healthy', 'draining', 'restarting', 'recovering', 'offline', 'stopped']);
  });

  it('without provided actors it never calls its worker healthy, and says which actor is missing', async () => {
    const errors: string[] = [];
    const inspect = (event: InspectionEvent) => {
      if (event.type === '@xstate.event' && event.event.type.startsWith('xstate.error.actor')) {
        errors.push(String((event.event as { error?: Error }).error?.message));
      }
    };
    const actor = createActor(await load(), { input: { workerId: 'bare' }, inspect }).start();
    actor.send({ type: 'worker.spawned', pid: 1, at: 0 });
    actor.send({ type: 'worker.ready', models: [] });
    for (let i = 0; i < 5 && actor.getSnapshot().value !== 'offline'; i++) await new Promise((r) => setImmediate(r));
    const snapshot = actor.getSnapshot();
    expect(snapshot.value).toBe('offline');
    expect(snapshot.context.reason).toBe('stop_failed');
    expect(errors).toEqual([
      'verificationProbe was not provided: supply it with workerMachine.provide({ actors })',
      'processStopper was not provided: supply it with workerMachine.provide({ actors })',
    ]);
    actor.stop();
  });
});
