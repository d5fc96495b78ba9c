import { describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import type { SupervisorEvent } from '../../src/supervisor/supervisor.js';
import { gatewayPerTest, type Gateway } from '../support/start-gateway.js';

type Message = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type Routed = Extract<SupervisorEvent, { type: 'routed' }>;

const STATEFUL = { REF_WORKER_STATEFUL: '1' };

function watch(g: Gateway) {
  const routed: Routed[] = [];
  const recycled: string[] = [];
  const retired: string[] = [];
  g.supervisor.subscribe((event) => {
    if (event.type === 'routed') routed.push(event);
    if (event.type === 'recycled') recycled.push(`${event.workerId} ${event.reason}`);
    if (event.type === 'retired') retired.push(`${event.workerId} ${event.reason}`);
  });
  return { routed, recycled, retired };
}

/** Resolves once the condition holds, checked on every supervisor event (bounded by the timeout). */
function until(g: Gateway, condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (condition()) return resolve();
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`timed out after ${timeoutMs} ms waiting until ${what}`));
    }, timeoutMs);
    const stop = g.supervisor.subscribe(() => {
      if (!condition()) return;
      clearTimeout(timer);
      stop();
      resolve();
    });
  });
}

const accepting = (g: Gateway, ids: string[]) =>
  until(g, () => ids.every((id) => g.supervisor.snapshots().find((w) => w.id === id)?.snapshot.hasTag('accepting') === true), `${ids.join(', ')} accept`);

// One client's conversation: the whole history is resent every turn.
async function converse(g: Gateway, history: Message[], content: string, apiKey?: string) {
  history.push({ role: 'user', content });
  const completion = await g.client(apiKey).chat.completions.create({ model: 'm', messages: history });
  const answer = completion.choices[0]!.message.content ?? '';
  history.push({ role: 'assistant', content: answer });
  return answer;
}

// N conversations, T turns each, interleaved round-robin (the first turns five at once: each waits for
// a process to start); each last turn asks the process what it holds.
async function interleave(g: Gateway, conversations: number, turns: number) {
  const histories = Array.from({ length: conversations }, () => [] as Message[]);
  for (let i = 0; i < conversations; i += 5) {
    await Promise.all(histories.slice(i, i + 5).map((history, j) => converse(g, history, `conversation ${i + j} begins`)));
  }
  const last: string[] = [];
  for (let turn = 1; turn < turns; turn++) {
    for (const [i, history] of histories.entries()) {
      const answer = await converse(g, history, turn === turns - 1 ? `[[recall]] conversation ${i} turn ${turn}` : `conversation ${i} turn ${turn}`);
      if (turn === turns - 1) last.push(answer);
    }
  }
  return last;
}

describe('capacity by memory (issue 28)', () => {
  const start = gatewayPerTest();

  it.each([3, 30])('with the defaults, %i interleaved conversations × 3 turns keep their processes: every later turn continues, delta only', async (n) => {
    const g = await start({ workerEnv: STATEFUL });
    await accepting(g, ['w1']);
    const w = watch(g);
    const last = await interleave(g, n, 3);
    expect(last).toEqual(Array.from({ length: n }, (_, i) => `Recall: conversation ${i} begins | held 5 | received 1`));
    expect(w.routed.filter((r) => r.result === 'new')).toHaveLength(n);
    expect(w.routed.filter((r) => r.result === 'continued')).toHaveLength(2 * n);
    // No conversation's process was recycled or stopped (a spare the arrivals no longer need may be).
    expect(w.recycled).toEqual([]);
    expect(w.retired.filter((line) => !line.endsWith(' excess'))).toEqual([]);
    expect(new Set(w.routed.map((r) => r.workerId)).size).toBe(n);
  }, 180_000);

  it('at the process cap, the least recently used idle conversation gives its process to a new one; its next turn is served whole', async () => {
    const g = await start({ flags: ['--max-processes', '3'], workerEnv: STATEFUL });
    await accepting(g, ['w1']);
    const w = watch(g);
    const a: Message[] = [];
    const b: Message[] = [];
    const c: Message[] = [];
    await converse(g, a, 'conversation A');
    await converse(g, b, 'conversation B');
    await converse(g, c, 'conversation C');
    await converse(g, b, 'B again');
    await converse(g, c, 'C again: A is the least recently used');
    expect(await converse(g, [], '[[recall]] conversation D')).toBe('Recall: conversation D | held 1 | received 1');
    const holderOfA = w.routed[0]!.workerId;
    expect(w.recycled).toEqual([`${holderOfA} lru`]);
    expect(w.routed[5]!.workerId).toBe(holderOfA);
    expect(g.supervisor.workerIds()).toHaveLength(3);
    expect(await converse(g, b, '[[recall]] B?')).toBe('Recall: conversation B | held 5 | received 1');
    expect(await converse(g, a, '[[recall]] A?')).toBe('Recall: conversation A | held 3 | received 3');
    expect(w.routed.at(-1)!.result).toBe('lost');
  }, 60_000);

  it('spares taken are refilled in the background, never more than --spawn-concurrency starting at once', async () => {
    const g = await start({ flags: ['--workers', '1', '--standby', '2', '--spawn-concurrency', '1'], workerEnv: { ...STATEFUL, REF_WORKER_READY_DELAY_MS: '300' } });
    await accepting(g, ['w1', 'w2', 'w3']);
    let mostStarting = 0;
    g.supervisor.subscribe(() => {
      const starting = g.supervisor.pool!().context.slots.filter((slot) => slot.tag === 'waiting').length;
      mostStarting = Math.max(mostStarting, starting);
    });
    const w = watch(g);
    await Promise.all([converse(g, [], 'one'), converse(g, [], 'two'), converse(g, [], 'three')]);
    await accepting(g, ['w4', 'w5']);
    await until(g, () => g.supervisor.pool!().context.slots.filter((slot) => slot.tag === 'accepting' && slot.usedRun !== slot.run).length >= 2, 'two spares accept');
    expect(mostStarting).toBe(1);
    expect(g.logs.join('\n')).toContain('[POOL] w4 added (a spare)');
    // Two of the three took a spare at once; the third waited for a refill.
    expect(w.routed.filter((r) => r.queued).length).toBeLessThanOrEqual(1);
    expect(w.recycled).toEqual([]);
  }, 60_000);

  it('an old configuration with isolation: isolated still isolates conversations (read as conversation)', async () => {
    const g = await start({ flags: ['--isolation', 'isolated', '--standby', '1'], workerEnv: STATEFUL });
    await accepting(g, ['w1', 'w2']);
    const history: Message[] = [];
    await converse(g, history, 'first words');
    expect(await converse(g, [], '[[recall]] who?')).toBe('Recall: who? | held 1 | received 1');
    expect(await converse(g, history, '[[recall]] again')).toBe('Recall: first words | held 3 | received 1');
    const health = (await (await g.get('/health')).json()) as { pool: { isolation: string } };
    expect(health.pool.isolation).toBe('conversation');
  }, 60_000);
});

describe('tenants (issue 28)', () => {
  const start = gatewayPerTest();
  const KEYS = ['--api-keys', 'alice=key-of-alice,bob=key-of-bob'];

  it.each(['conversation', 'tenant', 'shared'])('--isolation %s: a second tenant never reaches a process holding the first one’s words', async (isolation) => {
    const g = await start({ flags: [...KEYS, '--isolation', isolation, '--workers', '1', '--standby', '0'], workerEnv: STATEFUL });
    await accepting(g, ['w1']);
    const w = watch(g);
    await converse(g, [], 'ALPHA is the code word', 'key-of-alice');
    await converse(g, [], 'ALPHA once more', 'key-of-alice');
    expect(await converse(g, [], '[[recall]] what was the code word?', 'key-of-bob')).toBe('Recall: what was the code word? | held 1 | received 1');
    const byTenant = (tenant: string) => new Set(w.routed.filter((r) => r.tenant === tenant).map((r) => r.workerId));
    for (const id of byTenant('bob')) expect(byTenant('alice').has(id)).toBe(false);
    const health = (await (await g.get('/health')).json()) as { pool: { tenants: Record<string, number> }; workers: Array<{ tenant: string | null }> };
    expect(health.pool.tenants.bob).toBe(1);
    expect(health.pool.tenants.alice).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(health)).not.toContain('key-of-');
    const metrics = await (await g.get('/metrics')).text();
    expect(metrics).toContain('lifeguard_tenant_routes_total{tenant="bob",result="new"} 1');
    expect(metrics).not.toContain('key-of-');
    expect(g.logs.join('\n')).toContain('tenants: alice, bob');
    expect(g.logs.join('\n')).not.toContain('key-of-');
    await expect(g.client('key-of-nobody').chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 401 });
  }, 60_000);

  it('a session key names a conversation of its tenant only: the same X-Session-Id from another tenant never reaches it', async () => {
    const g = await start({ flags: [...KEYS, '--standby', '1'], workerEnv: STATEFUL });
    await accepting(g, ['w1', 'w2']);
    const ask = (content: string, key: string) =>
      g.client(key).chat.completions.create({ model: 'm', messages: [{ role: 'user', content }] }, { headers: { 'x-session-id': 'ticket-1' } }).then((c) => c.choices[0]!.message.content);
    await ask('alice opens ticket-1', 'key-of-alice');
    expect(await ask('[[recall]] bob on ticket-1', 'key-of-bob')).toBe('Recall: bob on ticket-1 | held 1 | received 1');
    expect(await ask('[[recall]] alice again', 'key-of-alice')).toBe('Recall: alice opens ticket-1 | held 3 | received 1');
  }, 60_000);

  it('--isolation tenant: first turns share a warm lane; a conversation that continues moves, whole, to a process of its own', async () => {
    const g = await start({ flags: ['--api-keys', 'alice=key-of-alice', '--isolation', 'tenant', '--standby', '1'], workerEnv: STATEFUL });
    await accepting(g, ['w1', 'w2']);
    const w = watch(g);
    const first: Message[] = [];
    await converse(g, first, 'one-shot one', 'key-of-alice');
    await converse(g, [], 'one-shot two', 'key-of-alice');
    await converse(g, [], 'one-shot three', 'key-of-alice');
    const lane = w.routed[0]!.workerId;
    expect(w.routed.map((r) => [r.workerId, r.result, r.lane])).toEqual([
      [lane, 'new', true],
      [lane, 'new', true],
      [lane, 'new', true],
    ]);
    expect(await converse(g, first, '[[recall]] and the first one?', 'key-of-alice')).toBe('Recall: one-shot one | held 3 | received 3');
    const own = w.routed[3]!;
    expect(own).toMatchObject({ result: 'moved', lane: false });
    expect(own.workerId).not.toBe(lane);
    expect(await converse(g, first, '[[recall]] still mine?', 'key-of-alice')).toBe('Recall: one-shot one | held 5 | received 1');
    expect(w.routed[4]).toMatchObject({ workerId: own.workerId, result: 'continued' });
    const health = (await (await g.get('/health')).json()) as { pool: { lanes: number; routes: Record<string, number> } };
    expect(health.pool).toMatchObject({ lanes: 1, routes: { moved: 1 } });
  }, 60_000);
});
