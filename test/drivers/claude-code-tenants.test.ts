import { afterEach, describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import type { FakeAnthropic } from '../fixtures/fake-anthropic-api.js';
import type { SupervisorEvent } from '../../src/supervisor/supervisor.js';
import { CLAUDE_CLI, startClaudeFixture } from '../support/claude-code.js';
import { startGateway, type Gateway } from '../support/start-gateway.js';

type Message = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type Routed = Extract<SupervisorEvent, { type: 'routed' }> & { pid: number | null };

const ALICE = 'key-of-alice';
const BOB = 'key-of-bob';

const running: Array<{ g: Gateway; api: FakeAnthropic }> = [];
afterEach(async () => {
  for (const { g, api } of running.splice(0)) {
    await g.shutdown();
    await api.close();
  }
});

// lifeguard with the real CLI, two tenants, one process at boot and no standby: every other process
// is started because a request needs it (each CLI cold start costs ~2 CPU-s, so the tests take as few
// as they can). Every route is recorded with the pid of the process that took it.
async function start(isolation: 'conversation' | 'tenant') {
  const fixture = await startClaudeFixture();
  const g = await startGateway({
    flags: [
      '--driver', 'claude-code', '--model', 'claude-sonnet-4-5', '--worker-cwd', fixture.cwd,
      '--startup-timeout-ms', '120000', '--verify-timeout-ms', '60000',
      '--workers', '1', '--standby', '0', '--isolation', isolation,
      '--api-keys', `alice=${ALICE},bob=${BOB}`,
    ],
    workerCommand: [process.execPath, CLAUDE_CLI],
    workerEnv: fixture.env,
  });
  running.push({ g, api: fixture.api });
  await g.waitFor((s) => s.hasTag('accepting'), 'w1', 120_000);
  const routes: Routed[] = [];
  g.supervisor.subscribe((event) => {
    if (event.type === 'routed') routes.push({ ...event, pid: g.supervisor.pid(event.workerId) });
  });
  return { g, api: fixture.api, routes };
}

async function converse(g: Gateway, apiKey: string, history: Message[], content: string) {
  history.push({ role: 'user', content });
  const completion = await g.client(apiKey).chat.completions.create({ model: 'claude-sonnet-4-5', messages: history });
  const answer = completion.choices[0]!.message.content ?? '';
  history.push({ role: 'assistant', content: answer });
  return answer;
}

// What an upstream call carries: its system prompt and messages, as sent.
const wire = (body: Record<string, unknown>) => JSON.stringify([body.system ?? null, body.messages ?? []]);
const textOf = (content: unknown) =>
  typeof content === 'string' ? content : (content as Array<{ type: string; text?: string }>).map((part) => (part.type === 'text' ? (part.text ?? '') : '')).join('');
const userTexts = (body: Record<string, unknown>) =>
  (body.messages as Array<{ role: string; content: unknown }>)
    .filter((m) => m.role === 'user')
    .map((m) => textOf(m.content).replace(/<system-reminder>[\s\S]*?<\/system-reminder>/g, '').trim())
    .filter(Boolean);

/** The upstream calls made since `from` that carry `word`. */
const callsWith = (api: FakeAnthropic, word: string, from = 0) => api.requests.slice(from).filter((body) => wire(body).includes(word));

// Every word each tenant said; no upstream call may carry words of both.
function expectNoCallMixesTenants(api: FakeAnthropic, alice: string[], bob: string[]) {
  for (const body of api.requests) {
    const text = wire(body);
    const mixed = alice.some((word) => text.includes(word)) && bob.some((word) => text.includes(word));
    expect(mixed, `an upstream call carries words of both tenants: ${text.slice(0, 400)}`).toBe(false);
  }
}

interface HealthWorker {
  id: string;
  pid: number | null;
  tenant: string | null;
  conversation: 'clean' | null | { lane?: boolean; turns: number };
}
const health = async (g: Gateway) =>
  (await (await g.get('/health')).json()) as { workers: HealthWorker[]; pool: { tenants: Record<string, number>; lanes: number; routes: Record<string, number> } };

describe('tenants through the real Claude Code CLI (docs/architecture.md#conversations-and-the-pool)', () => {
  it("--isolation conversation (the default): a second tenant's request never reaches the process holding the first tenant's words", async () => {
    const { g, api, routes } = await start('conversation');
    const alice: Message[] = [];
    expect(await converse(g, ALICE, alice, 'ALPHA-7 is the code word')).toBe('Echo: ALPHA-7 is the code word');
    const before = api.requests.length;
    const bob: Message[] = [];
    expect(await converse(g, BOB, bob, 'BRAVO-3: what was the code word?')).toBe('Echo: BRAVO-3: what was the code word?');
    // Both keep their process: their next turns continue where they are.
    await converse(g, ALICE, alice, 'ALPHA-7 again');
    await converse(g, BOB, bob, 'BRAVO-3 again');

    expect(routes.map((r) => [r.tenant, r.result])).toEqual([
      ['alice', 'new'],
      ['bob', 'new'],
      ['alice', 'continued'],
      ['bob', 'continued'],
    ]);
    const pidsOf = (tenant: string) => new Set(routes.filter((r) => r.tenant === tenant).map((r) => r.pid));
    expect(pidsOf('alice').size).toBe(1);
    expect(pidsOf('bob').size).toBe(1);
    expect([...pidsOf('bob')][0]).not.toBe([...pidsOf('alice')][0]);
    expect([...pidsOf('alice'), ...pidsOf('bob')].every((pid) => typeof pid === 'number')).toBe(true);

    // What the API received: Bob's calls exist and none carries Alice's words.
    expect(callsWith(api, 'BRAVO-3', before).length).toBeGreaterThan(0);
    expect(callsWith(api, 'ALPHA-7', before).every((body) => !wire(body).includes('BRAVO-3'))).toBe(true);
    expectNoCallMixesTenants(api, ['ALPHA-7'], ['BRAVO-3']);

    // /health names each process's tenant (never a key), by the same pids.
    const view = await health(g);
    const byPid = (pid: number | null | undefined) => view.workers.find((w) => w.pid === pid);
    expect(byPid(routes[0]!.pid)).toMatchObject({ tenant: 'alice', conversation: { turns: 2 } });
    expect(byPid(routes[1]!.pid)).toMatchObject({ tenant: 'bob', conversation: { turns: 2 } });
    expect(view.pool.tenants).toEqual({ alice: 1, bob: 1 });
    expect(JSON.stringify(view)).not.toContain('key-of-');
  });

  it('--isolation tenant: first turns share their tenant’s warm lane, another tenant never reaches it, and a conversation that continues is on a process of its own from its second turn', async () => {
    const { g, api, routes } = await start('tenant');
    const x: Message[] = [];
    // 1–2: two first turns of Alice's on her lane, which from then on holds both.
    await converse(g, ALICE, x, 'ALPHA-7 is the code word');
    const beforeAmber = api.requests.length;
    await converse(g, ALICE, [], 'AMBER-5 is a one-shot question');
    const lane = routes[0]!;
    expect(routes.map((r) => [r.workerId, r.tenant, r.result, r.lane])).toEqual([
      [lane.workerId, 'alice', 'new', true],
      [lane.workerId, 'alice', 'new', true],
    ]);
    // (The lane really holds the earlier first turn: the isolation below is not vacuous.)
    expect(callsWith(api, 'AMBER-5', beforeAmber).some((body) => wire(body).includes('ALPHA-7'))).toBe(true);

    // 3: Bob's first turn: not Alice's lane, a process of his own that becomes his lane.
    const beforeBob = api.requests.length;
    await converse(g, BOB, [], 'BRAVO-3: what was the code word?');
    const bob = routes[2]!;
    expect(bob).toMatchObject({ tenant: 'bob', result: 'new', lane: true });
    expect(bob.workerId).not.toBe(lane.workerId);
    expect(bob.pid).not.toBe(lane.pid);
    expect(callsWith(api, 'BRAVO-3', beforeBob).length).toBeGreaterThan(0);

    // 4: Alice's first conversation continues: moved, with its whole transcript, to a process of its
    // own — a clean one, so the lane's other first turn (and Bob) are not in it.
    const beforeMove = api.requests.length;
    // (The fake model echoes the last user message: here the transcript folded into one turn.)
    expect(await converse(g, ALICE, x, 'CEDAR-2 is the second turn')).toContain('CEDAR-2 is the second turn');
    const own = routes[3]!;
    expect(own).toMatchObject({ tenant: 'alice', result: 'moved', lane: false });
    expect([lane.pid, bob.pid]).not.toContain(own.pid);
    const moved = callsWith(api, 'CEDAR-2', beforeMove);
    expect(moved.length).toBeGreaterThan(0);
    for (const body of moved) {
      expect(wire(body)).toContain('ALPHA-7');
      expect(wire(body)).not.toContain('AMBER-5');
      expect(wire(body)).not.toContain('BRAVO-3');
    }

    // 5: its third turn continues on that process, delta only: the CLI's own history, one copy of turn one.
    const beforeThird = api.requests.length;
    await converse(g, ALICE, x, 'DELTA-4 is the third turn');
    expect(routes[4]).toMatchObject({ workerId: own.workerId, pid: own.pid, tenant: 'alice', result: 'continued', lane: false });
    const third = callsWith(api, 'DELTA-4', beforeThird).at(-1)!;
    const users = userTexts(third);
    expect(users.at(-1)).toBe('DELTA-4 is the third turn');
    expect(users.filter((text) => text.includes('ALPHA-7'))).toHaveLength(1);
    expect(wire(third)).not.toContain('AMBER-5');

    // 6: the lane's next first turn goes to the lane, never to the conversation's process.
    const beforeNext = api.requests.length;
    await converse(g, ALICE, [], 'ELM-9 is a new one-shot');
    expect(routes[5]).toMatchObject({ workerId: lane.workerId, pid: lane.pid, tenant: 'alice', result: 'new', lane: true });
    for (const body of callsWith(api, 'ELM-9', beforeNext)) {
      expect(wire(body)).not.toContain('CEDAR-2');
      expect(wire(body)).not.toContain('DELTA-4');
    }
    expect(callsWith(api, 'ELM-9').every((body) => !wire(body).includes('DELTA-4'))).toBe(true);
    expect(callsWith(api, 'DELTA-4').every((body) => !wire(body).includes('ELM-9'))).toBe(true);

    // No upstream call ever carried words of both tenants.
    expectNoCallMixesTenants(api, ['ALPHA-7', 'AMBER-5', 'CEDAR-2', 'DELTA-4', 'ELM-9'], ['BRAVO-3']);

    // /health, by pid: Alice's lane, Alice's own conversation, Bob's lane.
    const view = await health(g);
    const byPid = (pid: number | null) => view.workers.find((w) => w.pid === pid);
    expect(byPid(lane.pid)).toMatchObject({ tenant: 'alice', conversation: { lane: true } });
    expect(byPid(own.pid)).toMatchObject({ tenant: 'alice', conversation: { turns: 2 } });
    expect(byPid(own.pid)!.conversation).not.toHaveProperty('lane');
    expect(byPid(bob.pid)).toMatchObject({ tenant: 'bob', conversation: { lane: true } });
    expect(view.pool).toMatchObject({ tenants: { alice: 2, bob: 1 }, lanes: 2, routes: { moved: 1 } });
  });
});
