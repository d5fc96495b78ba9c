import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { browserAvailable, launchBrowser } from '../support/browser.js';
import { startModels, namedWorker, type ModelsGateway } from '../support/start-models.js';

describe.skipIf(!browserAvailable)('/ui with several models (Debian chromium via playwright-core)', () => {
  let browser: Browser;
  let g: ModelsGateway | null = null;

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await g?.shutdown();
  });

  it('shows the model table with each model’s phase, and unloads a model from its button', async () => {
    g = await startModels({
      models: {
        alpha: { worker_command: namedWorker('alpha'), workers: 2, aliases: ['a'] },
        beta: { worker_command: namedWorker('beta'), start: 'on_demand', ttl_s: 600 },
      },
    });
    await g.answer('alpha', 'warm');
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`${g.url}/ui`);
    await page.waitForSelector('#model-rows tr[data-model="alpha"][data-phase="serving"]', { timeout: 15_000 });
    expect(await page.locator('#model-rows tr[data-model="beta"]').getAttribute('data-phase')).toBe('unloaded');
    expect(await page.locator('#model-rows tr[data-model="alpha"] td').nth(1).textContent()).toBe('a');
    await page.waitForSelector('#process-rows tr[data-worker="alpha:w2"][data-model="alpha"]', { timeout: 15_000 });
    await g.answer('beta', 'wake');
    await page.waitForSelector('#model-rows tr[data-model="beta"][data-phase="serving"]', { timeout: 15_000 });
    await page.waitForSelector('#process-rows tr[data-worker="beta:w1"][data-model="beta"]', { timeout: 15_000 });
    await page.locator('#model-rows tr[data-model="beta"] button[data-model-command="unload"]').click();
    await expect.poll(() => page.locator('#message').textContent()).toBe('model beta: unload accepted');
    await g.waitForPhase('beta', 'unloaded');
    await page.waitForSelector('#model-rows tr[data-model="beta"][data-phase="unloaded"]', { timeout: 15_000 });
    await page.waitForSelector('#process-rows tr[data-worker="beta:w1"]', { state: 'detached', timeout: 15_000 });
    await page.close();
  });
});
