import { afterEach, describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import type { FakeAnthropic } from '../fixtures/fake-anthropic-api.js';
import type { SupervisorEvent } from '../../src/supervisor/supervisor.js';
import { CLAUDE_CLI, startClaudeFixture } from '../support/claude-code.js';
import { fixture } from '../support/drivers.js';
import { startGateway, type Gateway } from '../support/start-gateway.js';

type Message = OpenAI.Chat.Completions.ChatCompletionMessageParam;

const running: Array<{ g: Gateway; api: FakeAnthropic }> = [];
afterEach(async () => {
  for (const { g, api } of running.splice(0)) {
    await g.shutdown();
    await api.close();
  }
});

// lifeguard with the real CLI and its defaults for claude-code: 1 worker and 1 standby.
async function start(flags: string[] = []) {
  const fixture = await startClaudeFixture();
  const g = await startGateway({
    flags: ['--driver', 'claude-code', '--model', 'claude-sonnet-4-5', '--worker-cwd', fixture.cwd, '--startup-timeout-ms', '20000', ...flags],
    workerCommand: [process.execPath, CLAUDE_CLI],
    workerEnv: fixture.env,
  });
  running.push({ g, api: fixture.api });
  await Promise.all(g.supervisor.workers.map((id) => g.waitFor((s) => s.hasTag('accepting'), id, 60_000)));
  const routes: Array<Extract<SupervisorEvent, { type: 'routed' }>> = [];
  g.supervisor.subscribe((event) => {
    if (event.type === 'routed') routes.push(event);
  });
  return { g, api: fixture.api, routes };
}

async function converse(g: Gateway, history: Message[], content: string) {
  history.push({ role: 'user', content });
  const completion = await g.client().chat.completions.create({ model: 'claude-sonnet-4-5', messages: history });
  const answer = completion.choices[0]!.message.content ?? '';
  history.push({ role: 'assistant', content: answer });
  return answer;
}

const bodyText = (body: Record<string, unknown>) => JSON.stringify(body.messages ?? []);
const textOf = (content: unknown) =>
  typeof content === 'string' ? content : (content as Array<{ type: string; text?: string }>).map((part) => (part.type === 'text' ? (part.text ?? '') : '')).join('');
const userTexts = (body: Record<string, unknown>) =>
  (body.messages as Array<{ role: string; content: unknown }>)
    .filter((m) => m.role === 'user')
    .map((m) => textOf(m.content).replace(/<system-reminder>[\s\S]*?<\/system-reminder>/g, '').trim());

// A clean process accepts (the standby has caught up): pool figures, not elapsed time.
const spareReady = (g: Gateway) =>
  new Promise<void>((resolve, reject) => {
    const ready = () => g.supervisor.pool!().context.slots.some((slot) => slot.tag === 'accepting' && slot.usedRun !== slot.run);
    if (ready()) return resolve();
    const timer = setTimeout(() => {
      off();
      reject(new Error('no clean spare within 100 s'));
    }, 100_000);
    const off = g.supervisor.subscribe(() => {
      if (!ready()) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });

describe('conversations through the real Claude Code CLI (docs/architecture.md#conversations-and-the-pool, docs/benchmarks.md)', () => {
  it("isolation: no upstream call for client B's new conversation carries any word of client A's", async () => {
    const { g, api } = await start();
    await converse(g, [], 'Remember the code word ALPHA for later');
    const before = api.requests.length;
    await converse(g, [], 'What was the code word?');
    const forB = api.requests.slice(before);
    expect(forB.length).toBeGreaterThan(0);
    for (const body of forB) expect(bodyText(body)).not.toContain('ALPHA');
  });

  it('affinity: turn 3 reaches the same process, goes upstream with the native history, and its user frame holds only the new message', async () => {
    const { g, api, routes } = await start();
    const history: Message[] = [];
    await converse(g, history, 'turn one words');
    await converse(g, history, 'turn two words');
    const before = api.requests.length;
    expect(await converse(g, history, 'turn three words')).toBe('Echo: turn three words');
    expect(routes.map((r) => r.result)).toEqual(['new', 'continued', 'continued']);
    expect(new Set(routes.map((r) => r.workerId)).size).toBe(1);
    const upstream = api.requests.slice(before).at(-1)!;
    expect((upstream.messages as unknown[]).length).toBeGreaterThanOrEqual(5);
    const users = userTexts(upstream).filter(Boolean);
    expect(users.at(-1)).toBe('turn three words');
    expect(users.filter((text) => text.includes('turn one words'))).toHaveLength(1);
  });

  it('nothing lost: after the holding process is SIGKILLed, the next turn is answered from the whole transcript', async () => {
    const { g, api, routes } = await start();
    const history: Message[] = [];
    await converse(g, history, 'the colour is TEAL');
    const holder = routes[0]!.workerId;
    process.kill(g.supervisor.pid(holder)!, 'SIGKILL');
    await g.waitFor((s) => s.context.run === 2, holder, 60_000);
    const before = api.requests.length;
    const answer = await converse(g, history, 'which colour?');
    expect(answer).toContain('which colour?');
    expect(routes[1]!.result).toBe('lost');
    expect(bodyText(api.requests.slice(before).at(-1)!)).toContain('TEAL');
  });

  it('warm: new conversations arriving 1.5 s apart never wait for a cold start while the standby keeps up', async () => {
    const { g, routes } = await start();
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await spareReady(g);
      await converse(g, [], `independent conversation ${i}`);
    }
    expect(routes.map((r) => r.result)).toEqual(['new', 'new', 'new', 'new']);
    expect(routes.filter((r) => r.queued)).toEqual([]);
  });
});

describe('compaction (docs/protocol.md claude-code)', () => {
  it('a silent compaction longer than the wedge timeout is not a wedge, and its boundary is reported as context', async () => {
    const g = await startGateway({
      flags: ['--driver', 'claude-code', '--standby', '0', '--wedge-timeout-ms', '2500', '--idle-timeout-ms', '10000'],
      workerCommand: [process.execPath, fixture('fake-claude-compacting.mjs')],
      workerEnv: { FAKE_COMPACT_MS: '6000' },
    });
    try {
      await g.waitForState('healthy');
      const completion = await g.client().chat.completions.create({ model: 'fake-claude', messages: [{ role: 'user', content: 'fill me up' }] });
      expect(completion.choices[0]!.message.content).toBe('compacted and answered');
      expect(g.snapshotOf().context).toMatchObject({ run: 1, restartReason: null });
      expect(g.logs.join('\n')).toContain('compacted its context (auto): 150000 → 1200 tokens');
    } finally {
      await g.shutdown();
    }
  });
});
