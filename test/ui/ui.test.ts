import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { browserAvailable, launchBrowser } from '../support/browser.js';
import { startGateway, type Gateway } from '../support/start-gateway.js';

const OUTPUT = new URL('../../test-output/', import.meta.url);
const shot = (page: Page, name: string) => {
  mkdirSync(OUTPUT, { recursive: true });
  return page.screenshot({ path: new URL(name, OUTPUT).pathname, fullPage: true });
};

describe.skipIf(!browserAvailable)('/ui in a real browser (Debian chromium via playwright-core)', () => {
  let browser: Browser;
  const gateways: Gateway[] = [];
  const open = async (g: Gateway, path = '/ui') => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`${g.url}${path}`);
    return page;
  };
  const gateway = async (options: Parameters<typeof startGateway>[0]) => {
    const g = await startGateway(options);
    gateways.push(g);
    return g;
  };

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all(gateways.map((g) => g.shutdown()));
  });

  // A process is a row of the table; its detail (the old card: state, last exit, countdown, buttons) opens on a click.
  const row = (page: Page, id = 'w1') => page.locator(`#process-rows tr[data-worker="${id}"]`);
  const card = (page: Page) => page.locator('#detail');
  const openDetail = async (page: Page, id = 'w1') => {
    await row(page, id).click();
    await page.waitForSelector(`#detail[data-worker="${id}"]:not([hidden])`, { timeout: 60_000 });
  };
  // The worker chart is drawn once: the states (and substates) any process is in are lit.
  const lit = (page: Page) => page.locator('#worker-chart .current').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-id') ?? n.getAttribute('data-sub')));
  const visibleButtons = (page: Page) => card(page).locator('button[data-command]:visible').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-command')));

  it('healthy: / leads to /ui, the compact chart lights healthy.idle, the timeline is filled on load, and recover is not offered', async () => {
    const g = await gateway({ flags: ['--backoff-base-ms', '3000', '--backoff-max-ms', '3000'] });
    await g.waitForState('healthy');
    const page = await open(g, '/');
    expect(new URL(page.url()).pathname).toBe('/ui');
    await page.waitForSelector('#process-rows tr[data-worker="w1"][data-state="healthy"]', { timeout: 60_000 });
    expect(await page.locator('#worker-chart g.node').count()).toBe(7);
    expect(await lit(page)).toEqual(['healthy', 'healthy.idle']);
    expect(await page.locator('#worker-chart g.node[data-id="healthy"]').getAttribute('data-count')).toBe('1');
    // The pool is drawn once too, its state lit; no models' parent without models:.
    await expect.poll(() => page.locator('#pool-chart .current').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-id') ?? n.getAttribute('data-sub')))).toEqual(['serving', 'serving.watching']);
    expect(await page.locator('#models-panel').isHidden()).toBe(true);
    expect(await card(page).isHidden()).toBe(true);
    await openDetail(page);
    // The transitions happened before the page opened: they come from the server's ring buffer.
    await expect.poll(() => page.locator('#transitions tr').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#transitions').textContent()).toContain('starting → healthy');
    expect(await page.locator('#transitions').textContent()).toContain('verified');
    expect(await visibleButtons(page)).toEqual(['restart', 'drain']);
    // The chart fits the first screen: no 1 700 px drawing.
    const box = (await page.locator('#worker-chart svg').boundingBox())!;
    expect(box.height).toBeLessThan(320);
    await expect.poll(() => page.locator('#connection').textContent()).toBe('live');
    await shot(page, 'ui-healthy.png');

    // A recover on a worker that is not offline is refused with a message, not a silent 202.
    const refused = await page.evaluate(async () => {
      const response = await fetch('/admin/workers/w1/recover', { method: 'POST' });
      return { status: response.status, body: (await response.json()) as { error: { message: string } } };
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toBe('Worker w1 is healthy, not offline: recover only brings an offline worker back (use restart for a graceful restart)');

    // recovering: the last exit and a countdown to the next start.
    process.kill(g.supervisor.pid('w1')!, 'SIGKILL');
    await page.waitForSelector('#detail[data-worker="w1"][data-state="recovering"]', { timeout: 60_000 });
    expect(await row(page).getAttribute('data-state')).toBe('recovering');
    expect(await lit(page)).toEqual(['recovering']);
    await expect.poll(() => card(page).locator('[data-role="countdown"]').textContent()).toMatch(/^next start in \d+\.\d s$/);
    expect(await card(page).locator('[data-role="countdown"]').isVisible()).toBe(true);
    await expect.poll(() => card(page).locator('[data-role="last-exit"]').textContent()).toMatch(/last exit: code=null signal=SIGKILL, crash, after \d+\.\d s/);
    expect(await visibleButtons(page)).toEqual([]);
    await shot(page, 'ui-recovering.png');
    await page.waitForSelector('#detail[data-worker="w1"][data-state="healthy"]', { timeout: 60_000 });
    await expect.poll(() => page.locator('#transitions tr[data-to="starting"]').first().textContent()).toContain('backoff_elapsed');
    // The detail lists this process's own transitions too.
    expect(await card(page).locator('[data-role="history"]').textContent()).toContain('recovering → starting');
    expect(await card(page).locator('[data-role="countdown"]').isVisible()).toBe(false);

    const pidBefore = g.supervisor.pid('w1');
    await card(page).locator('button[data-command="restart"]').click();
    await expect.poll(() => page.locator('#transitions').textContent(), { timeout: 60_000 }).toContain('admin_restart');
    await g.waitFor((s) => s.matches('healthy') && s.context.run === 3);
    expect(g.supervisor.pid('w1')).not.toBe(pidBefore);
    await expect.poll(() => card(page).locator('[data-role="details"]').textContent()).toContain(`pid ${g.supervisor.pid('w1')}`);
    await shot(page, 'ui.png');
    await page.close();
  });

  it('offline: lit red with its reason, and only recover is offered', async () => {
    const g = await gateway({
      flags: ['--max-consecutive-failures', '1', '--backoff-base-ms', '50', '--backoff-max-ms', '50'],
      workerCommand: [process.execPath, '-e', 'process.exit(3)'],
    });
    await g.waitForState('offline', 'w1', 60_000);
    const page = await open(g);
    await page.waitForSelector('#process-rows tr[data-worker="w1"][data-state="offline"]', { timeout: 60_000 });
    expect(await lit(page)).toEqual(['offline']);
    await openDetail(page);
    expect(await card(page).locator('[data-role="offline"]').textContent()).toMatch(/^offline: .+ — fix the cause, then recover$/);
    await expect.poll(() => card(page).locator('[data-role="last-exit"]').textContent()).toContain('code=3');
    expect(await visibleButtons(page)).toEqual(['recover']);
    await shot(page, 'ui-offline.png');
    await card(page).locator('button[data-command="recover"]').click();
    await expect.poll(() => page.locator('#message').textContent()).toBe('w1: recover accepted');
    await page.close();
  });

  it('each process’s conversation is a cell of its row, and the pool’s figures are drawn, when /health carries them', async () => {
    const g = await gateway({});
    await g.waitForState('healthy');
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const health = (await (await g.get('/health')).json()) as { workers: Array<Record<string, unknown>> };
    health.workers[0]!.conversation = { digest: '3f9a1c2b7d4e', key: null, turns: 4, idle_s: 12 };
    const withPool = { ...health, pool: { workers: 1, standby: 0 } };
    const snapshot = { workers: [{ id: 'w1', value: { healthy: 'busy' }, tags: ['accepting'] }], health: withPool, transitions: [] };
    await page.route('**/admin/events', (route) =>
      route.fulfill({ status: 200, headers: { 'content-type': 'text/event-stream' }, body: `event: snapshot\ndata: ${JSON.stringify(snapshot)}\nid: 1\n\n` }),
    );
    await page.goto(`${g.url}/ui`);
    await page.waitForSelector('#process-rows tr[data-worker="w1"][data-state="healthy"]', { timeout: 60_000 });
    // The conversation as /health shows it, its digest cut to 8 hex digits; its turns and idle time.
    const cells = await row(page).locator('td').evaluateAll((tds) => Object.fromEntries(tds.map((td) => [td.getAttribute('data-col'), td.textContent])));
    expect(cells).toMatchObject({ model: '—', worker: 'w1', state: 'healthy busy', conversation: '3f9a1c2b', turns: '4', idle: '12 s' });
    expect(await page.locator('#pool-figures').textContent()).toBe('workers: 1 · standby: 0');
    expect(await lit(page)).toEqual(['healthy', 'healthy.busy']);
    await openDetail(page);
    expect(await card(page).locator('[data-role="conversation"]').textContent()).toBe('conversation 3f9a1c2b7d4e: 4 turns, idle 12 s');
    await shot(page, 'ui-pool.png');
    await page.close();
  });
});
