import { describe, expect, it } from 'vitest';
import { modelsPerTest, namedWorker } from '../support/start-models.js';

const start = modelsPerTest();

const twoModels = () => ({
  models: {
    alpha: { worker_command: namedWorker('alpha'), aliases: ['a', 'first'] },
    beta: { worker_command: namedWorker('beta'), workers: 2 },
  },
});

describe('several models behind one lifeguard', () => {
  it('each model is answered by its own workers, on all three APIs; an alias reaches its model', async () => {
    const g = await start(twoModels());
    expect(await g.answer('alpha', 'hi')).toMatch(/^alpha \(pid \d+\): hi$/);
    expect(await g.answer('beta', 'hi')).toMatch(/^beta \(pid \d+\): hi$/);
    expect(await g.answer('first', 'via alias')).toMatch(/^alpha \(pid \d+\): via alias$/);
    const responses = await fetch(`${g.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'beta', input: 'r' }) });
    expect(JSON.stringify(await responses.json())).toMatch(/beta \(pid \d+\): r/);
    const messages = await fetch(`${g.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'a', max_tokens: 10, messages: [{ role: 'user', content: 'm' }] }),
    });
    expect(JSON.stringify(await messages.json())).toMatch(/alpha \(pid \d+\): m/);
    // The pids that answered belong to each model's own workers.
    const pids = (model: string) => g.supervisor.snapshots().filter((w) => w.id.startsWith(`${model}:`)).map((w) => w.snapshot.context.pid);
    expect(pids('alpha')).toHaveLength(1);
    expect(pids('beta')).toHaveLength(2);
    const alphaPid = Number(/pid (\d+)/.exec(await g.answer('alpha', 'x'))![1]);
    expect(pids('alpha')).toContain(alphaPid);
    expect(pids('beta')).not.toContain(alphaPid);
  });

  it('an unknown model is a 404 naming it: model_not_found (OpenAI) and not_found_error (Anthropic)', async () => {
    const g = await start(twoModels());
    const openai = await g.chat('gamma', 'hi');
    expect(openai.status).toBe(404);
    const body = (await openai.json()) as { error: { code: string; message: string; param: string } };
    expect(body.error.code).toBe('model_not_found');
    expect(body.error.param).toBe('model');
    expect(body.error.message).toContain('"gamma"');
    const anthropic = await fetch(`${g.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gamma', max_tokens: 10, messages: [{ role: 'user', content: 'm' }] }),
    });
    expect(anthropic.status).toBe(404);
    expect(await anthropic.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error', message: expect.stringContaining('"gamma"') } });
    const stream = await fetch(`${g.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gamma', stream: true, messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(stream.status).toBe(404);
  });

  it('with a single model any name reaches it; without a name the first model answers', async () => {
    const g = await start({ models: { solo: { worker_command: namedWorker('solo') } } });
    expect(await g.answer('whatever-name', 'hi')).toMatch(/^solo /);
    const g2 = await start(twoModels());
    const response = await fetch(`${g2.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ role: 'user', content: 'n' }] }) });
    expect(((await response.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toMatch(/^alpha /);
  });

  it('/v1/models lists every model and alias; /health, /readyz and /metrics show each model', async () => {
    const g = await start(twoModels());
    await g.answer('beta', 'warm');
    const list = (await (await fetch(`${g.url}/v1/models`)).json()) as { data: Array<{ id: string; root?: string }> };
    expect(list.data.map((m) => m.id)).toEqual(['alpha', 'beta', 'a', 'first']);
    expect(list.data.find((m) => m.id === 'a')!.root).toBe('alpha');
    const health = (await (await fetch(`${g.url}/health`)).json()) as { models: Array<{ id: string; phase: string; workers: string[] }>; workers: Array<{ id: string }> };
    expect(health.models.map((m) => [m.id, m.phase, m.workers])).toEqual([
      ['alpha', 'serving', ['alpha:w1']],
      ['beta', 'serving', ['beta:w1', 'beta:w2']],
    ]);
    expect(health.workers.map((w) => w.id)).toEqual(['alpha:w1', 'beta:w1', 'beta:w2']);
    expect((await fetch(`${g.url}/readyz`)).status).toBe(200);
    // A model serves once its pool started; its worker may still be verifying: wait for healthy.
    await expect.poll(async () => (await fetch(`${g.url}/metrics`)).text()).toMatch(/lifeguard_worker_state\{worker="alpha:w1",model="alpha",state="healthy"\} 1/);
    const metrics = await (await fetch(`${g.url}/metrics`)).text();
    expect(metrics).toMatch(/lifeguard_worker_state\{worker="beta:w2",model="beta",state="\w+"\} 1/);
    expect(metrics).toMatch(/lifeguard_model_phase\{model="alpha",phase="serving"\} 1/);
  });

  it("a crash in one model's worker never touches another model's workers", async () => {
    const g = await start(twoModels());
    await g.answer('alpha', 'warm');
    await g.answer('beta', 'warm');
    const before = g.supervisor.snapshots().filter((w) => w.id.startsWith('beta:')).map((w) => [w.id, w.snapshot.context.pid, w.snapshot.context.restartCount]);
    const crashed = await g.chat('alpha', 'boom [[crash]]');
    expect(crashed.status).toBe(502);
    await g.answer('alpha', 'back');
    const alpha = g.supervisor.snapshots().find((w) => w.id === 'alpha:w1')!.snapshot.context;
    expect(alpha.crashCount).toBeGreaterThanOrEqual(1);
    const after = g.supervisor.snapshots().filter((w) => w.id.startsWith('beta:')).map((w) => [w.id, w.snapshot.context.pid, w.snapshot.context.restartCount]);
    expect(after).toEqual(before);
    expect(await g.answer('beta', 'still here')).toMatch(/^beta /);
  });
});
