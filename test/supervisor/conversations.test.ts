import { describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import type { SupervisorEvent } from '../../src/supervisor/supervisor.js';
import { gatewayPerTest, type Gateway } from '../support/start-gateway.js';

type Message = OpenAI.Chat.Completions.ChatCompletionMessageParam;

const STATEFUL = { REF_WORKER_STATEFUL: '1' };

function routes(g: Gateway) {
  const seen: Array<Extract<SupervisorEvent, { type: 'routed' }>> = [];
  g.supervisor.subscribe((event) => {
    if (event.type === 'routed') seen.push(event);
  });
  return seen;
}

// One client's conversation through the official SDK: the whole history is resent every turn.
async function converse(g: Gateway, history: Message[], content: string, headers: Record<string, string> = {}) {
  history.push({ role: 'user', content });
  const completion = await g.client().chat.completions.create({ model: 'm', messages: history }, { headers });
  const answer = completion.choices[0]!.message.content ?? '';
  history.push({ role: 'assistant', content: answer });
  return answer;
}

const accepting = (g: Gateway, id: string) => g.waitFor((s) => s.hasTag('accepting'), id);

describe('conversations on stateful workers (docs/architecture.md#conversations-and-the-pool)', () => {
  const start = gatewayPerTest();

  it('a follow-up turn reaches the process that holds the conversation and carries only the new message', async () => {
    const g = await start({ flags: ['--workers', '1', '--standby', '1'], workerEnv: STATEFUL });
    await Promise.all([accepting(g, 'w1'), accepting(g, 'w2')]);
    const seen = routes(g);
    const history: Message[] = [{ role: 'system', content: 'be brief' }];
    await converse(g, history, 'first words');
    await converse(g, history, 'second words');
    const third = await converse(g, history, '[[recall]] third');
    expect(third).toBe('Recall: first words | held 6 | received 1');
    expect(seen.map((r) => r.result)).toEqual(['new', 'continued', 'continued']);
    expect(new Set(seen.map((r) => r.workerId)).size).toBe(1);

    // Visible: /health shows the conversation against its process and the other one clean; the
    // metrics count the routes.
    const health = (await (await g.get('/health')).json()) as { workers: Array<{ id: string; conversation: unknown }>; pool: Record<string, unknown> };
    const holder = health.workers.find((w) => w.id === seen[0]!.workerId)!;
    expect(holder.conversation).toMatchObject({ turns: 3, digest: expect.stringMatching(/^[0-9a-f]{12}$/), idle_s: expect.any(Number) });
    expect(health.workers.find((w) => w.id !== holder.id)!.conversation).toBe('clean');
    expect(health.pool).toMatchObject({ workers: 1, standby: 1, isolation: 'conversation', spares: 1, conversations: 1, routes: { new: 1, continued: 2, lost: 0, moved: 0 } });
    const metrics = await (await g.get('/metrics')).text();
    expect(metrics).toContain('lifeguard_conversation_routes_total{result="continued"} 2');
    expect(metrics).toContain('lifeguard_standby_workers 1');
    expect(metrics).toMatch(/lifeguard_cold_start_seconds_count [1-9]/);
    expect(metrics).toContain('lifeguard_queue_wait_seconds_count 3');
  });

  it("a new conversation gets a clean process: no other client's words reach it", async () => {
    const g = await start({ flags: ['--workers', '1', '--standby', '1'], workerEnv: STATEFUL });
    await Promise.all([accepting(g, 'w1'), accepting(g, 'w2')]);
    const seen = routes(g);
    const alice: Message[] = [];
    await converse(g, alice, 'ALPHA is the code word');
    const bob: Message[] = [];
    expect(await converse(g, bob, '[[recall]] what was the code word?')).toBe('Recall: what was the code word? | held 1 | received 1');
    expect(seen[0]!.workerId).not.toBe(seen[1]!.workerId);
    // Bob took the spare: the memory budget has room, so a new spare is started and Alice keeps hers.
    await accepting(g, 'w3');
    expect(g.snapshotOf(seen[0]!.workerId).context.run).toBe(1);
    expect(await converse(g, alice, '[[recall]] Alice again')).toBe('Recall: ALPHA is the code word | held 3 | received 1');
    expect(g.logs.join('\n')).not.toContain('a new conversation replaces');
  });

  it('at the process cap, a new conversation recycles the least recently used one into the next spare', async () => {
    const g = await start({ flags: ['--workers', '1', '--standby', '1', '--max-processes', '2'], workerEnv: STATEFUL });
    await Promise.all([accepting(g, 'w1'), accepting(g, 'w2')]);
    const seen = routes(g);
    await converse(g, [], 'ALPHA is the code word');
    expect(await converse(g, [], '[[recall]] what was the code word?')).toBe('Recall: what was the code word? | held 1 | received 1');
    const recycled = await g.waitFor((s) => s.context.restartReason === 'recycle' && s.hasTag('accepting'), seen[0]!.workerId);
    expect(recycled.context.run).toBe(2);
    expect(g.supervisor.workerIds()).toEqual(['w1', 'w2']);
  });

  it('nothing is lost: when the holding process is killed, the next turn is answered from the whole transcript on a clean process', async () => {
    const g = await start({ flags: ['--workers', '1', '--standby', '1'], workerEnv: STATEFUL });
    await Promise.all([accepting(g, 'w1'), accepting(g, 'w2')]);
    const seen = routes(g);
    const history: Message[] = [];
    await converse(g, history, 'remember me');
    const holder = seen[0]!.workerId;
    process.kill(g.supervisor.pid(holder)!, 'SIGKILL');
    await g.waitFor((s) => s.context.run === 2, holder);
    expect(await converse(g, history, '[[recall]] who?')).toBe('Recall: remember me | held 3 | received 3');
    expect(seen[1]!.result).toBe('lost');
  });

  it('a continuation whose process restarted goes, whole, to a clean process', async () => {
    const g = await start({ flags: ['--workers', '2', '--standby', '0'], workerEnv: STATEFUL });
    await Promise.all([accepting(g, 'w1'), accepting(g, 'w2')]);
    const seen = routes(g);
    const history: Message[] = [];
    await converse(g, history, 'before the restart');
    const holder = seen[0]!.workerId;
    g.supervisor.command(holder, 'restart');
    await g.waitFor((s) => s.context.run === 2 && s.hasTag('accepting'), holder);
    expect(await converse(g, history, '[[recall]] still there?')).toBe('Recall: before the restart | held 3 | received 3');
    expect(seen[1]!.result).toBe('lost');
  });

  it('an idle conversation has its process recycled after session_idle_ms', async () => {
    const g = await start({ flags: ['--workers', '1', '--standby', '0', '--session-idle-ms', '300'], workerEnv: STATEFUL });
    await accepting(g, 'w1');
    await converse(g, [], 'soon idle');
    const recycled = await g.waitFor((s) => s.context.run === 2 && s.context.restartReason === 'recycle');
    expect(recycled.context.restartReason).toBe('recycle');
    expect(g.supervisor.pool!().context.slots[0]!.conversation).toBeNull();
  });

  it('when every process holds a conversation and no other fits the memory budget, a new one recycles the least recently used', async () => {
    // Two processes of the reference worker take well over 1 MiB: the budget has no room for a third.
    const g = await start({ flags: ['--workers', '2', '--standby', '0', '--memory-budget-mb', '1'], workerEnv: STATEFUL });
    await Promise.all([accepting(g, 'w1'), accepting(g, 'w2')]);
    const seen = routes(g);
    const a: Message[] = [];
    const b: Message[] = [];
    await converse(g, a, 'conversation A');
    await converse(g, b, 'conversation B');
    await converse(g, b, 'B again, so A is the least recently used');
    expect(await converse(g, [], '[[recall]] conversation C')).toBe('Recall: conversation C | held 1 | received 1');
    const holderOfA = seen[0]!.workerId;
    expect(seen[3]!.workerId).toBe(holderOfA);
    expect(g.snapshotOf(holderOfA).context).toMatchObject({ run: 2, restartReason: 'recycle' });
    // B still continues where it was.
    expect(await converse(g, b, '[[recall]] B?')).toBe('Recall: conversation B | held 5 | received 1');
  });

  it('X-Session-Id names a conversation: a client that sends only the new message continues it', async () => {
    const g = await start({ flags: ['--workers', '1', '--standby', '1'], workerEnv: STATEFUL });
    await Promise.all([accepting(g, 'w1'), accepting(g, 'w2')]);
    const headers = { 'x-session-id': 'ticket-42' };
    await converse(g, [], 'named first', headers);
    expect(await converse(g, [], '[[recall]] named second', headers)).toBe('Recall: named first | held 3 | received 1');
  });

  it('--isolation shared: any process serves any request, with the whole transcript, and nothing is recycled', async () => {
    const g = await start({ flags: ['--workers', '1', '--standby', '0', '--isolation', 'shared'], workerEnv: STATEFUL });
    await accepting(g, 'w1');
    await converse(g, [], 'client one');
    const history: Message[] = [];
    await converse(g, history, 'client two');
    expect(await converse(g, history, '[[recall]] again')).toBe('Recall: client two | held 3 | received 3');
    expect(g.snapshotOf('w1').context.run).toBe(1);
  });
});

describe('warm spares (docs/architecture.md#conversations-and-the-pool, docs/benchmarks.md)', () => {
  const start = gatewayPerTest();

  it('with --workers 1 --standby 1, 30 requests 250 ms apart through proactive restarts are all served and none waits', async () => {
    const g = await start({
      flags: ['--workers', '1', '--standby', '1'],
      workerEnv: { REF_WORKER_READY_DELAY_MS: '600', REF_WORKER_TURN_LIMIT: '3' },
    });
    await Promise.all([accepting(g, 'w1'), accepting(g, 'w2')]);
    const seen = routes(g);
    const answers: Array<Promise<string>> = [];
    for (let i = 0; i < 30; i++) {
      // Paced by time as the issue asks, and by events so a loaded machine cannot fail it: the next
      // request goes once the previous one is answered and some process accepts (a peer or the spare
      // has finished its restart). "No process busy" alone is not enough: on a loaded machine the
      // previous request may not have reached the gateway yet 250 ms after it was sent, and two
      // requests in flight at once with --workers 1 rightly wait for the one process serving them.
      if (i > 0) await answers[i - 1];
      const idle = () => g.supervisor.snapshots().every((w) => !w.snapshot.context.busy);
      await g.waitFor(() => idle() && g.supervisor.snapshots().some((w) => w.snapshot.hasTag('accepting')), 'w1', 60_000);
      answers.push(g.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: `request ${i}` }] }).then((c) => c.choices[0]!.message.content ?? ''));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const texts = await Promise.all(answers);
    expect(texts).toEqual(texts.map((_, i) => `Echo: request ${i}`));
    expect(seen.filter((r) => r.queued)).toEqual([]);
    const restarts = g.supervisor.snapshots().reduce((sum, w) => sum + w.snapshot.context.restartCount, 0);
    expect(restarts).toBeGreaterThanOrEqual(5);
  });
});
