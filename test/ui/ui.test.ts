import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { browserAvailable, launchBrowser } from '../support/browser.js';
import { startGateway, type Gateway } from '../support/start-gateway.js';

const OUTPUT = new URL('../../test-output/', import.meta.url);

describe.skipIf(!browserAvailable)('/ui in a real browser (Debian chromium via playwright-core)', () => {
  let g: Gateway;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    g = await startGateway({ flags: ['--backoff-base-ms', '1500', '--backoff-max-ms', '1500'] });
    await g.waitForState('healthy');
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  });
  afterAll(async () => {
    await browser?.close();
    await g?.shutdown();
  });

  const worker = () => page.locator('section.worker[data-worker="w1"]');
  const highlighted = async () => page.locator('section.worker[data-worker="w1"] .chart g.current').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-id')));

  it('draws the statechart with healthy highlighted, follows a crash through recovering back to healthy, and restarts on the button', async () => {
    await page.goto(`${g.url}/ui`);
    await page.waitForSelector('section.worker[data-worker="w1"][data-state="healthy"]', { timeout: 10_000 });
    expect(await page.locator('section.worker[data-worker="w1"] .chart svg g.node').count()).toBeGreaterThan(5);
    expect(await highlighted()).toEqual(['healthy', 'healthy_idle']);
    expect(await worker().locator('[data-role="state"]').textContent()).toBe('healthy');
    await expect.poll(() => page.locator('#connection').textContent()).toBe('live');

    process.kill(g.supervisor.pid('w1')!, 'SIGKILL');
    await page.waitForSelector('section.worker[data-worker="w1"][data-state="recovering"]', { timeout: 10_000 });
    expect(await highlighted()).toEqual(['recovering']);
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: new URL('ui-recovering.png', OUTPUT).pathname });
    await page.waitForSelector('section.worker[data-worker="w1"][data-state="healthy"]', { timeout: 10_000 });
    await expect.poll(() => page.locator('#transitions').textContent()).toContain('crash');

    const pidBefore = g.supervisor.pid('w1');
    await worker().locator('button[data-command="restart"]').click();
    await expect.poll(() => page.locator('#transitions tr').first().textContent(), { timeout: 10_000 }).toContain('healthy');
    await expect.poll(() => page.locator('#transitions').textContent()).toContain('admin_restart');
    expect(g.snapshotOf().context.run).toBe(3);
    expect(g.supervisor.pid('w1')).not.toBe(pidBefore);
    await expect.poll(() => worker().locator('.details').textContent()).toContain(`pid ${g.supervisor.pid('w1')}`);
    await page.screenshot({ path: new URL('ui.png', OUTPUT).pathname });
  }, 60_000);
});
