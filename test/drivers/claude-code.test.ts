import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, listProcesses } from '../../src/process/process-table.js';
import type { FakeAnthropic } from '../fixtures/fake-anthropic-api.js';
import { CLAUDE_CLI, startClaudeFixture } from '../support/claude-code.js';
import { TEST_MARKER } from '../support/drivers.js';
import { startGateway, type Gateway } from '../support/start-gateway.js';
import { readFileSync } from 'node:fs';

const running: Array<{ g: Gateway; api: FakeAnthropic }> = [];
afterEach(async () => {
  for (const { g, api } of running.splice(0)) {
    await g.shutdown();
    await api.close();
  }
});

// The driver's mechanics on one process: independent requests share it (--isolation shared, no
// standby), as they did before the pool; conversations are tested in claude-code-conversations.
async function start(flags: string[] = [], deltaDelayMs = 0) {
  const fixture = await startClaudeFixture({ deltaDelayMs });
  const g = await startGateway({
    flags: ['--driver', 'claude-code', '--model', 'claude-sonnet-4-5', '--worker-cwd', fixture.cwd, '--startup-timeout-ms', '20000', '--standby', '0', '--isolation', 'shared', ...flags],
    workerCommand: [process.execPath, CLAUDE_CLI],
    workerEnv: fixture.env,
  });
  running.push({ g, api: fixture.api });
  await g.waitForState('healthy', 'w1', 60_000);
  return { g, api: fixture.api };
}

const claudeProcesses = () =>
  listProcesses().filter((p) => {
    try {
      // Only this run's (other checkouts may be testing the CLI at the same time).
      const ours = readFileSync(`/proc/${p.pid}/environ`, 'utf8').split('\0').includes(`LIFEGUARD_TEST_PROCESS=${TEST_MARKER.LIFEGUARD_TEST_PROCESS}`);
      return ours && readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').includes('claude-code/cli.js');
    } catch {
      return false;
    }
  });

describe('--driver claude-code with the real CLI against a fake Anthropic API', () => {
  it('answers a non-streaming and a streaming completion, with usage', async () => {
    const { g, api } = await start();
    const client = g.client();
    const completion = await client.chat.completions.create({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hello claude' }] });
    expect(completion.choices[0]!.message.content).toBe('Echo: hello claude');
    expect(completion.usage!.prompt_tokens).toBeGreaterThan(100);
    expect(completion.usage!.completion_tokens).toBe(3);

    const stream = await client.chat.completions.create({
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'stream me please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Echo: stream me please');
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBeGreaterThanOrEqual(3);
    expect(chunks.at(-1)!.usage).toMatchObject({ completion_tokens: 4 });
    expect(api.requests.every((r) => r.model === 'claude-sonnet-4-5' && r.stream === true)).toBe(true);

    const models = await client.models.list();
    expect(models.data[0]!.id).toBe('claude-sonnet-4-5');
    const snapshot = g.snapshotOf();
    expect(snapshot.context.limits.tokenLimit).toBe(200_000);
    expect(snapshot.context.usage.turns).toBe(2);
  });

  it('system prompts and earlier turns are folded into the one user turn', async () => {
    const { g, api } = await start();
    await g.client().chat.completions.create({
      model: 'm',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'second' },
      ],
    });
    expect(JSON.stringify(api.requests.at(-1)!.messages)).toContain('System: You are terse.\\n\\nUser: first\\n\\nAssistant: ok\\n\\nUser: second');
  });

  it('past 80 % of the turn limit it restarts proactively: the next request is served by a fresh CLI', async () => {
    const { g } = await start(['--turn-limit', '5']);
    const client = g.client();
    const firstPid = g.supervisor.pid('w1');
    for (let turn = 1; turn <= 4; turn++) {
      await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: `turn ${turn}` }] });
    }
    const answer = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'after the restart' }] });
    expect(answer.choices[0]!.message.content).toBe('Echo: after the restart');
    const snapshot = g.snapshotOf();
    expect(snapshot.context).toMatchObject({ run: 2, restartReason: 'proactive', crashCount: 0 });
    expect(snapshot.context.usage.turns).toBe(1);
    expect(g.supervisor.pid('w1')).not.toBe(firstPid);
    expect(isAlive(firstPid!)).toBe(false);
  });

  it('the CLI killed with SIGKILL mid-request: the request is re-dispatched, the worker recovers, and no claude process is left after stop', async () => {
    const { g, api } = await start([], 150);
    // Every CLI this lifeguard starts (other test files may run CLIs of their own meanwhile).
    const spawned = [g.supervisor.pid('w1')!];
    g.supervisor.subscribe((event) => {
      if (event.type === 'spawned') spawned.push(event.pid);
    });
    const firstPid = g.supervisor.pid('w1')!;
    const pending = g.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'a slow answer to interrupt' }] });
    await g.waitFor((s) => s.context.busy);
    for (let i = 0; i < 500 && api.requests.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(api.requests.length).toBeGreaterThan(0);
    process.kill(firstPid, 'SIGKILL');
    api.setDelay(0);
    const completion = await pending;
    expect(completion.choices[0]!.message.content).toBe('Echo: a slow answer to interrupt');
    expect(g.snapshotOf().context).toMatchObject({ crashCount: 1, run: 2 });
    await g.shutdown();
    expect(claudeProcesses().filter((p) => p.state !== 'Z' && spawned.includes(p.pid))).toEqual([]);
  });

  it('a client disconnect mid-stream sends interrupt, and the same CLI keeps serving', async () => {
    const { g, api } = await start([], 200);
    const pid = g.supervisor.pid('w1');
    const controller = new AbortController();
    const response = await fetch(`${g.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'one two three four five six seven eight' }], stream: true }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await g.waitFor((s) => !s.context.busy);
    api.setDelay(0);
    const next = await g.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'still here' }] });
    expect(next.choices[0]!.message.content).toContain('still here');
    // The CLI recorded the interruption in its own history, which the fake API echoes back.
    expect(JSON.stringify(api.requests.at(-1)!.messages)).toContain('[Request interrupted by user]');
    expect(g.supervisor.pid('w1')).toBe(pid);
    expect(g.snapshotOf().context.crashCount).toBe(0);
  });

  it('a client tool whose name the CLI cannot take gets a 400 naming it (chat, Responses and Messages alike), and the CLI keeps serving', async () => {
    const { g, api } = await start();
    const tool = { type: 'function', function: { name: 'get.weather', parameters: { type: 'object', properties: {} } } };
    const chat = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: 'weather?' }], tools: [tool] });
    expect(chat.status).toBe(400);
    expect(await chat.json()).toMatchObject({ error: { type: 'invalid_request_error', param: 'tools[0].function.name', message: expect.stringContaining('"get.weather"') } });
    const responses = await g.post('/v1/responses', { input: 'weather?', tools: [{ type: 'function', name: 'constructor', parameters: {} }], stream: true });
    expect(responses.status).toBe(400);
    expect(await responses.json()).toMatchObject({ error: { param: 'tools[0].function.name', message: expect.stringContaining('object property') } });
    const messages = await g.post('/v1/messages', { max_tokens: 10, messages: [{ role: 'user', content: 'weather?' }], tools: [{ name: 'x'.repeat(65), input_schema: { type: 'object' } }] });
    expect(messages.status).toBe(400);
    expect(await messages.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining("'tools[0].function.name'") } });
    expect(api.requests).toHaveLength(0);
    const completion = await g.client().chat.completions.create({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'no tools' }] });
    expect(completion.choices[0]!.message.content).toBe('Echo: no tools');
    // No built-in tool by default (--tools ""): the model is offered nothing to run on this host.
    expect(api.requests.at(-1)!.tools ?? []).toEqual([]);
  });

  it('an error from the API becomes a clear error for the client', async () => {
    const { g, api } = await start();
    api.failNext(400, 5);
    const response = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: 'this one fails' }] });
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ error: { code: 'worker_error', message: expect.stringMatching(/^The worker failed the request|^Claude Code failed the turn/) } });
    expect(g.snapshotOf().matches('healthy')).toBe(true);
  });
});
