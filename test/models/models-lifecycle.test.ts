import { describe, expect, it } from 'vitest';
import type { SupervisorEvent } from '../../src/supervisor/supervisor.js';
import { modelsPerTest, namedWorker } from '../support/start-models.js';

const start = modelsPerTest();
const pidOf = (answer: string) => Number(/pid (\d+)/.exec(answer)![1]);

describe('models start on demand, unload after their TTL, and swap within an exclusive group', () => {
  it('an on-demand model starts on its first request; idle for its TTL it is unloaded; the next request starts it again; another model is untouched', async () => {
    const g = await start({
      models: {
        alpha: { worker_command: namedWorker('alpha') },
        beta: { worker_command: namedWorker('beta'), start: 'on_demand', ttl_s: 1 },
      },
    });
    expect(g.phase('beta')).toBe('unloaded');
    await g.waitForPhase('alpha', 'serving');
    const alphaPid = pidOf(await g.answer('alpha', 'before'));
    const first = await g.answer('beta', 'wake up');
    expect(first).toMatch(/^beta /);
    expect(g.phase('beta')).toBe('serving');
    await g.waitForPhase('beta', 'unloaded');
    expect(g.supervisor.snapshots().some((w) => w.id.startsWith('beta:'))).toBe(false);
    expect(() => process.kill(pidOf(first), 0)).toThrow();
    expect(g.logs.some((line) => line.includes('model beta: unloading (idle for its ttl_s 1)'))).toBe(true);
    const second = await g.answer('beta', 'again');
    expect(second).toMatch(/^beta /);
    expect(pidOf(second)).not.toBe(pidOf(first));
    expect(pidOf(await g.answer('alpha', 'after'))).toBe(alphaPid);
    expect(g.phase('alpha')).toBe('serving');
  });

  it('an exclusive pair never has processes at once under concurrent requests for both; no request is lost and each is answered by its model', async () => {
    const g = await start({
      models: {
        big: { worker_command: namedWorker('big'), exclusive: 'gpu', start: 'on_demand' },
        huge: { worker_command: namedWorker('huge'), exclusive: 'gpu', start: 'on_demand', workers: 2 },
      },
    });
    const alive = { big: new Set<number>(), huge: new Set<number>() };
    const overlaps: string[] = [];
    g.supervisor.subscribe((event: SupervisorEvent) => {
      const model = event.workerId.split(':')[0] as 'big' | 'huge';
      if (event.type === 'spawned') {
        alive[model].add(event.pid);
        const other = model === 'big' ? 'huge' : 'big';
        if (alive[other].size > 0) overlaps.push(`${model} ${event.pid} spawned while ${other} has ${[...alive[other]].join(', ')}`);
      }
      if (event.type === 'lifecycle' && event.event.type === 'exit.recorded') {
        const pid = g.supervisor.snapshotOf(event.workerId)?.context.pid;
        if (pid) alive[model].delete(pid);
      }
    });
    // Processes end before their pool says it stopped: the alive sets follow the pool's end too.
    g.models.subscribeModels((event) => {
      if (event.type === 'model.unloaded') alive[event.modelId as 'big' | 'huge'].clear();
    });
    const requests = Array.from({ length: 12 }, (_, i) => {
      const model = i % 2 === 0 ? 'big' : 'huge';
      return g.answer(model, `request ${i} [[wait:30]]`).then((answer) => ({ model, i, answer }));
    });
    const answers = await Promise.all(requests);
    for (const { model, i, answer } of answers) expect(answer).toMatch(new RegExp(`^${model} \\(pid \\d+\\): request ${i}$`));
    expect(overlaps).toEqual([]);
    expect(g.logs.filter((line) => line.includes('another model of exclusive group "gpu" is wanted')).length).toBeGreaterThanOrEqual(1);
  });

  it('a request that waits for its model longer than queue_wait_ms gets 503 queue_timeout and is no longer counted', async () => {
    const g = await start(
      {
        models: {
          x: { worker_command: namedWorker('x'), exclusive: 'gpu' },
          y: { worker_command: namedWorker('y'), exclusive: 'gpu', start: 'on_demand' },
        },
      },
      ['--queue-wait-ms', '300'],
    );
    // x's worker accepts before its long request goes (queue_wait_ms is short for its own pool too).
    const accepting = () => g.supervisor.snapshots().some((w) => w.id === 'x:w1' && w.snapshot.hasTag('accepting'));
    await new Promise<void>((resolve) => {
      if (accepting()) return resolve();
      const stop = g.supervisor.subscribe(() => {
        if (!accepting()) return;
        stop();
        resolve();
      });
    });
    const long = g.answer('x', 'long [[wait:3000]]');
    await new Promise<void>((resolve) => {
      const stop = g.supervisor.subscribe((event) => {
        if (event.type === 'routed') {
          stop();
          resolve();
        }
      });
    });
    const waited = await g.chat('y', 'too late');
    expect(waited.status).toBe(503);
    expect(((await waited.json()) as { error: { code: string } }).error.code).toBe('queue_timeout');
    expect(g.models.modelViews().find((m) => m.id === 'y')!.waiting).toBe(0);
    expect(await long).toMatch(/^x /);
  });

  it('an operator unloads a model, and restarts, drains or recovers the workers of one model', async () => {
    const g = await start({ models: { alpha: { worker_command: namedWorker('alpha') }, beta: { worker_command: namedWorker('beta') } } });
    await g.answer('alpha', 'warm');
    await g.answer('beta', 'warm');
    const post = (path: string) => fetch(`${g.url}${path}`, { method: 'POST' });
    const restarted = await post('/admin/models/alpha/restart');
    expect(restarted.status).toBe(202);
    expect(await restarted.json()).toEqual({ id: 'alpha', command: 'restart', workers: ['alpha:w1'] });
    expect((await post('/admin/models/alpha/recover')).status).toBe(202);
    // A single worker by its id across models.
    const one = await post('/admin/workers/alpha:w1/drain');
    expect(one.status).toBe(202);
    expect(await one.json()).toMatchObject({ id: 'alpha:w1', command: 'drain' });
    expect((await post('/admin/workers/w1/drain')).status).toBe(404);
    expect((await post('/admin/models/alpha/explode')).status).toBe(404);
    expect((await post('/admin/models/nope/unload')).status).toBe(404);
    const unload = await post('/admin/models/beta/unload');
    expect(unload.status).toBe(202);
    await g.waitForPhase('beta', 'unloaded');
    expect((await post('/admin/models/beta/restart')).status).toBe(404);
    const table = (await (await fetch(`${g.url}/admin/models`)).json()) as { models: Array<{ id: string; phase: string }> };
    expect(table.models.map((m) => [m.id, m.phase])).toEqual([
      ['alpha', 'serving'],
      ['beta', 'unloaded'],
    ]);
    // An unloaded model still counts as able to serve: a request starts it.
    expect((await fetch(`${g.url}/readyz`)).status).toBe(200);
    expect(await g.answer('beta', 'back')).toMatch(/^beta /);
  });
});
