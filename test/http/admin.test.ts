import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { workerMachine } from '../../machines/worker-machine.js';
import { createApp, type AppDeps } from '../../src/http/app.js';
import { silentLogger } from '../../src/util/logger.js';
import { NotFoundError } from '../../src/errors.js';

// The admin API against an idle machine: app.request(), no port, no process.
function appWith(options: { adminToken?: string | null; address?: string }) {
  const actor = createActor(workerMachine, { input: { workerId: 'w1' } });
  const commands: string[] = [];
  const supervisor: AppDeps['supervisor'] = {
    dispatch: () => Promise.reject(new Error('not used')),
    snapshots: () => [{ id: 'w1', snapshot: actor.getSnapshot(), inFlight: 0 }],
    snapshotOf: () => actor.getSnapshot(),
    models: () => [],
    stats: () => ({ totalRequests: 0, totalErrors: 0, queueDepth: 0, startedAt: Date.now(), inFlight: 0, routes: { continued: 0, new: 0, lost: 0, moved: 0 } }),
    subscribe: () => () => undefined,
    command: (id, command) => {
      if (id !== 'w1') throw new NotFoundError(`No worker with id "${id}" (workers: w1)`);
      commands.push(command);
      return actor.getSnapshot();
    },
  };
  const app = createApp({
    supervisor,
    apiKey: null,
    adminToken: options.adminToken ?? null,
    bodyLimitBytes: 1024,
    requestTimeoutMs: 1000,
    idleTimeoutMs: 1000,
    logger: silentLogger,
    isShuttingDown: () => false,
    clientAddress: () => options.address ?? '127.0.0.1',
  });
  return { app, commands };
}

describe('admin API', () => {
  it('without an admin token, loopback clients may call it and others get 401', async () => {
    expect((await appWith({ address: '127.0.0.1' }).app.request('/admin/state')).status).toBe(200);
    expect((await appWith({ address: '::1' }).app.request('/admin/state')).status).toBe(200);
    const remote = await appWith({ address: '10.1.2.3' }).app.request('/admin/state');
    expect(remote.status).toBe(401);
    expect(await remote.json()).toMatchObject({ error: { message: 'Admin calls are allowed from loopback only when no admin token is configured' } });
  });

  it('without an admin token, a loopback request that came through a proxy gets 403 naming the header', async () => {
    for (const header of ['forwarded', 'x-forwarded-for', 'x-real-ip', 'via']) {
      const proxied = await appWith({ address: '127.0.0.1' }).app.request('/admin/state', { headers: { [header]: header === 'forwarded' ? 'for=203.0.113.7' : '203.0.113.7' } });
      expect(proxied.status).toBe(403);
      expect(await proxied.json()).toMatchObject({ error: { code: 'forbidden', message: expect.stringContaining(`it carries ${header}`) } });
    }
    const withToken = await appWith({ adminToken: 'admin-secret' }).app.request('/admin/state', { headers: { authorization: 'Bearer admin-secret', 'x-forwarded-for': '203.0.113.7' } });
    expect(withToken.status).toBe(200);
  });

  it('with an admin token, the bearer token is required even from loopback', async () => {
    const { app } = appWith({ adminToken: 'admin-secret' });
    expect((await app.request('/admin/state')).status).toBe(401);
    expect((await app.request('/admin/state', { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await app.request('/admin/state', { headers: { authorization: 'Bearer admin-secret' } })).status).toBe(200);
  });

  it('GET /admin/state returns the snapshots and the machine definition', async () => {
    const body = (await (await appWith({}).app.request('/admin/state')).json()) as Record<string, any>;
    expect(body.workers[0]).toMatchObject({ id: 'w1', value: { starting: 'spawning' }, tags: ['waiting'] });
    expect(body.machine.definition.id).toBe('worker');
    expect(body.machine.mermaid).toContain('stateDiagram-v2');
  });

  it('POST /admin/workers/w1/recover on a worker that is not offline is a 409 saying so, and nothing is sent', async () => {
    const { app, commands } = appWith({});
    const response = await app.request('/admin/workers/w1/recover', { method: 'POST' });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({
      error: { code: 'invalid_state', message: 'Worker w1 is starting, not offline: recover only brings an offline worker back (use restart for a graceful restart)' },
    });
    expect(commands).toEqual([]);
  });

  it('GET / leads to /ui; the page and its script and style are files served by lifeguard', async () => {
    const { app } = appWith({});
    const root = await app.request('/');
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/ui');
    const page = await app.request('/ui');
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('<script src="/ui/ui.js">');
    expect(html).not.toMatch(/https?:\/\//);
    expect((await app.request('/ui/ui.js')).headers.get('content-type')).toContain('javascript');
    expect((await app.request('/ui/ui.css')).headers.get('content-type')).toContain('text/css');
    expect((await app.request('/ui/nope.js')).status).toBe(404);
    const chart = (await (await app.request('/ui/chart.json')).json()) as { states: Array<{ id: string }> };
    expect(chart.states.map((s) => s.id)).toEqual(['starting', 'healthy', 'draining', 'restarting', 'recovering', 'offline', 'stopped']);
  });

  it('the pool and the models\' parent have their compact charts too (a pool\'s policies, a model\'s lifecycle), and their full charts as SVG', async () => {
    const { app } = appWith({});
    type Chart = { states: Array<{ id: string; substates: string[] }>; edges: Array<{ from: string; to: string; events: string[] }>; inner: Array<{ state: string; events: string[] }> };
    const pool = (await (await app.request('/ui/pool-chart.json')).json()) as Chart;
    expect(pool.states.map((s) => [s.id, s.substates])).toEqual([['serving', ['serving.watching']], ['stopping', []]]);
    expect(pool.edges).toEqual([{ from: 'serving', to: 'stopping', events: ['stop'] }]);
    expect(pool.inner).toEqual([{ state: 'serving', events: expect.arrayContaining(['always [spawnWanted] / spawnSlot', 'after idleCheck']) }]);
    const models = (await (await app.request('/ui/models-chart.json')).json()) as Chart & { lifecycle: { phases: string[] } };
    expect(models.states.map((s) => [s.id, s.substates])).toEqual([['running', ['running.checking', 'running.watching', 'running.quiet']], ['stopped', []]]);
    expect(models.inner).toEqual([{ state: 'running', events: expect.arrayContaining(['always [ttlPending]', 'after ttlCheck', 'request.arrived', 'pool.started']) }]);
    expect(models.lifecycle.phases).toEqual(['unloaded', 'starting', 'serving', 'draining', 'stopping']);
    const svg = await app.request('/ui/models-statechart.svg');
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    const text = await svg.text();
    expect(text).toContain('<svg');
    expect(text).toContain('ttlCheck');
    expect(text).not.toMatch(/@import url/);
  });

  it.each(['restart', 'drain'])('POST /admin/workers/w1/%s is passed to the supervisor (202)', async (command) => {
    const { app, commands } = appWith({});
    const response = await app.request(`/admin/workers/w1/${command}`, { method: 'POST' });
    expect(response.status).toBe(202);
    expect(commands).toEqual([command]);
  });

  it('an unknown command or worker is a 404 naming it', async () => {
    const { app } = appWith({});
    const unknownCommand = await app.request('/admin/workers/w1/explode', { method: 'POST' });
    expect(unknownCommand.status).toBe(404);
    expect(await unknownCommand.json()).toMatchObject({ error: { message: 'Unknown admin command "explode" (known: restart, drain, recover)' } });
    const unknownWorker = await app.request('/admin/workers/w9/restart', { method: 'POST' });
    expect(unknownWorker.status).toBe(404);
    expect(await unknownWorker.json()).toMatchObject({ error: { message: 'No worker with id "w9" (workers: w1)' } });
  });
});
