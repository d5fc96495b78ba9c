import { createActor, fromCallback, type AnyEventObject } from 'xstate';
import { describe, expect, it } from 'vitest';
import { poolMachine } from '../../machines/pool-machine.js';
import type { PoolEvent } from '../../machines/pool-types.js';
import type { WorkerMachineInput } from '../../machines/worker-types.js';
import type { ChatMessage } from '../../src/drivers/driver.js';
import { createConversationRouting, type RoutedRequest } from '../../src/supervisor/conversation-routing.js';
import type { SupervisedWorker } from '../../src/supervisor/supervisor-types.js';

// Routing over the real pool machine (fake worker children) and two stateless processes that always
// accept: what the pool is told, and when.
function createRouting() {
  const machine = poolMachine.provide({ actors: { worker: fromCallback<AnyEventObject, WorkerMachineInput>(() => undefined) as never } });
  const told: string[] = [];
  const pool = createActor(machine, {
    input: { policy: { workers: 2, standby: 0, isolation: 'shared', tenantIsolation: {}, sessionIdleMs: 600_000, maxProcesses: 2, memoryBudgetBytes: 2 ** 40, spawnConcurrency: 2 }, workers: [{ workerId: 'w1' }, { workerId: 'w2' }] },
    inspect: (event) => {
      if (event.type === '@xstate.event' && event.actorRef === pool) told.push((event.event as PoolEvent).type);
    },
  });
  pool.start();
  for (const slotId of ['w1', 'w2']) pool.send({ type: 'worker.changed', slotId, tag: 'accepting', run: 1, stateful: false, busy: false, at: 0 });
  told.length = 0;
  const snapshot = { hasTag: (tag: string) => tag === 'accepting', context: { run: 1, maxConcurrency: 8, stateful: false } };
  const workers = ['w1', 'w2'].map((id) => ({ id, leases: 0, exclusive: false, reservedFor: null, actor: { getSnapshot: () => snapshot } }) as unknown as SupervisedWorker);
  const routing = createConversationRouting({ pool, workers: () => workers, claim: () => undefined });
  let asked = 0;
  const ask = (messages: ChatMessage[], answer = `answer ${++asked}`): { routed: RoutedRequest; history: ChatMessage[] } => {
    const routed = routing.choose(routing.prepare(`r${asked}`, { messages }, null, 'anonymous'))!;
    routing.answered(routed, { content: answer, toolCalls: [] });
    return { routed, history: [...messages, { role: 'assistant', content: answer }] };
  };
  // Both processes used once (a clean process's first route is told at once), and the table told.
  ask([{ role: 'user', content: 'warm w1' }]);
  ask([{ role: 'user', content: 'warm w2' }]);
  routing.tellAnswers();
  told.length = 0;
  return { pool, told, routing, ask, held: (id: string) => pool.getSnapshot().context.slots.find((s) => s.id === id)!.conversation };
}

describe('conversation routing: what the pool is told', () => {
  it('answers wait to be told together; one the next route depends on is told before that route', () => {
    const r = createRouting();
    const first = r.ask([{ role: 'user', content: 'one' }]);
    const second = r.ask([{ role: 'user', content: 'two' }]);
    expect(second.routed.worker.id).not.toBe(first.routed.worker.id);
    expect(r.told).toEqual([]);
    // A follow-up of the first conversation: its answer is told first, and the turn continues there.
    const followUp = r.ask([...first.history, { role: 'user', content: 'and then?' }]);
    expect(r.told).toEqual(['conversations.answered']);
    expect(followUp.routed).toMatchObject({ result: 'continued', worker: { id: first.routed.worker.id } });
  });

  it('a request that continues what a process held before an untold answer replaced it is routed on the table with that answer', () => {
    const r = createRouting();
    const first = r.ask([{ role: 'user', content: 'one' }]);
    r.routing.tellAnswers();
    const holder = first.routed.worker.id;
    // Another conversation is answered on the same process (shared, stateless): the first is no longer held there.
    const lead = r.routing.choose(r.routing.prepare('x', { messages: [{ role: 'user', content: 'other' }] }, null, 'anonymous'))!;
    r.routing.answered({ ...lead, worker: first.routed.worker }, { content: 'other answer', toolCalls: [] });
    expect(r.held(holder)?.digest).not.toBe('');
    const resumed = r.ask([...first.history, { role: 'user', content: 'still there?' }]);
    expect(r.told.filter((type) => type === 'conversations.answered')).toHaveLength(2);
    expect(resumed.routed.result).toBe('new');
  });

  it('untold answers are told at the latest every 64, and before the pool is read or told anything else', () => {
    const r = createRouting();
    for (let i = 0; i < 130; i++) r.ask([{ role: 'user', content: `independent ${i}` }]);
    expect(r.told).toEqual(['conversations.answered', 'conversations.answered']);
    r.ask([{ role: 'user', content: 'one more' }]);
    r.routing.tell({ type: 'clean.wanted', count: 0, at: 0 });
    expect(r.told.slice(2)).toEqual(['conversations.answered', 'clean.wanted']);
    const answered = r.pool.getSnapshot().context.slots.filter((slot) => slot.conversation !== null);
    expect(answered.length).toBeGreaterThan(0);
  });
});
