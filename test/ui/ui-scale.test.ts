import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { topLevelState } from '../../src/supervisor/supervisor.js';
import { browserAvailable, launchBrowser } from '../support/browser.js';
import { startModels, namedWorker, type ModelsGateway } from '../support/start-models.js';

const OUTPUT = new URL('../../test-output/', import.meta.url);
const PROCESSES = 20;

// The page at scale: 2 models × 10 processes. Each machine is drawn once (the models' parent, a pool, the
// worker chart with the number of processes in each state), the processes are rows of one table, and a
// process's detail opens on demand, so the page's height does not grow with the number of processes (the
// page that drew a chart per process was about 460 px a process: 9 000 px for these 20).
describe.skipIf(!browserAvailable)('/ui with 2 models × 10 processes (Debian chromium via playwright-core)', () => {
  let browser: Browser;
  let g: ModelsGateway | null = null;

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await g?.shutdown();
  });

  const ids = (page: Page) => page.locator('#process-rows tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-worker')));
  const lit = (page: Page, chart: string) =>
    page.locator(`#${chart} .current`).evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-id') ?? n.getAttribute('data-sub')));
  // Each state's count on the worker chart, and the same from the table's rows.
  const chartCounts = (page: Page) =>
    page.locator('#worker-chart g.node').evaluateAll((nodes) => Object.fromEntries(nodes.map((n) => [n.getAttribute('data-id'), Number(n.getAttribute('data-count'))])));
  const tableCounts = (page: Page) =>
    page.locator('#process-rows tr').evaluateAll((rows) => {
      const counts: Record<string, number> = {};
      for (const r of rows) counts[r.getAttribute('data-state')!] = (counts[r.getAttribute('data-state')!] ?? 0) + 1;
      return counts;
    });

  it('draws each machine once, lists 20 processes in a sortable table with their states, opens one process’s detail, and keeps its height bounded', async () => {
    g = await startModels({
      models: {
        alpha: { worker_command: namedWorker('alpha'), workers: 10 },
        // A killed beta worker waits out a long backoff: it stays `recovering` while the test looks at it.
        beta: { worker_command: namedWorker('beta'), workers: 10, backoff_base_ms: 600_000, backoff_max_ms: 600_000 },
      },
    });
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`${g.url}/ui`);
    await page.waitForFunction(`document.querySelectorAll('#process-rows tr[data-state="healthy"]').length === ${PROCESSES}`, null, { timeout: 120_000 });

    // Each machine is drawn once, whatever the number of processes.
    expect(await page.locator('svg[aria-label^="worker lifecycle"]').count()).toBe(1);
    expect(await page.locator('#pool-chart svg').count()).toBe(1);
    expect(await page.locator('#models-chart svg').count()).toBe(1);
    expect(await page.locator('#models-panel').isVisible()).toBe(true);

    // The table has a row per process, with the state the server holds for it.
    expect(await page.locator('#process-rows tr').count()).toBe(PROCESSES);
    const server = Object.fromEntries(g.supervisor.snapshots().map((w) => [w.id, topLevelState(w.snapshot)]));
    const shown = await page.locator('#process-rows tr').evaluateAll((rows) => Object.fromEntries(rows.map((r) => [r.getAttribute('data-worker'), r.getAttribute('data-state')])));
    expect(shown).toEqual(server);
    expect(Object.keys(shown).sort()).toEqual([...['alpha', 'beta'].flatMap((m) => Array.from({ length: 10 }, (_, i) => `${m}:w${i + 1}`))].sort());
    expect(await page.locator('#process-rows tr[data-model="alpha"]').count()).toBe(10);
    expect(await chartCounts(page)).toMatchObject({ healthy: PROCESSES, recovering: 0, offline: 0 });

    // One process crashes: its row, the counts on the chart and the table agree.
    process.kill(g.supervisor.pid('beta:w3')!, 'SIGKILL');
    await page.waitForSelector('#process-rows tr[data-worker="beta:w3"][data-state="recovering"]', { timeout: 60_000 });
    await expect.poll(() => chartCounts(page)).toMatchObject({ healthy: PROCESSES - 1, recovering: 1 });
    const counts = await chartCounts(page);
    const table = await tableCounts(page);
    for (const [state, n] of Object.entries(counts)) expect(n, state).toBe(table[state] ?? 0);
    expect(await lit(page, 'worker-chart')).toEqual(['healthy', 'healthy.idle', 'recovering']);

    // Sorting by a column reorders the rows (numbers as numbers: w2 before w10); again, the other way.
    const before = await ids(page);
    expect(before.slice(0, 3)).toEqual(['alpha:w1', 'alpha:w2', 'alpha:w3']);
    await page.locator('#process-table th[data-sort="worker"]').click();
    expect((await ids(page)).slice(0, 4)).toEqual(['alpha:w1', 'beta:w1', 'alpha:w2', 'beta:w2']);
    expect((await ids(page)).slice(-2)).toEqual(['alpha:w10', 'beta:w10']);
    expect(await page.locator('#process-table th[data-sort="worker"]').getAttribute('aria-sort')).toBe('ascending');
    await page.locator('#process-table th[data-sort="state"]').click();
    await page.locator('#process-table th[data-sort="state"]').click();
    expect(await page.locator('#process-table th[data-sort="state"]').getAttribute('aria-sort')).toBe('descending');
    expect((await ids(page))[0]).toBe('beta:w3');
    expect(new Set(await ids(page))).toEqual(new Set(before));

    // A click on a row opens that process's detail: its state, last exit, countdown, its own transitions, its buttons.
    expect(await page.locator('#detail').isHidden()).toBe(true);
    await page.locator('#process-rows tr[data-worker="beta:w3"]').click();
    await page.waitForSelector('#detail[data-worker="beta:w3"][data-state="recovering"]', { timeout: 15_000 });
    expect(await page.locator('#detail [data-role="id"]').textContent()).toBe('beta:w3');
    await expect.poll(() => page.locator('#detail [data-role="last-exit"]').textContent()).toMatch(/last exit: code=null signal=SIGKILL, crash/);
    await expect.poll(() => page.locator('#detail [data-role="countdown"]').textContent()).toMatch(/^next start in \d+\.\d s$/);
    const history = await page.locator('#detail [data-role="history"] tr').evaluateAll((rows) => rows.map((r) => r.children[1]!.textContent));
    expect(history.slice(0, 2)).toEqual(['restarting → recovering', 'healthy → restarting']);
    expect(await page.locator('#detail button[data-command]:visible').count()).toBe(0);
    await page.locator('#process-rows tr[data-worker="alpha:w5"]').click();
    await page.waitForSelector('#detail[data-worker="alpha:w5"][data-state="healthy"]', { timeout: 15_000 });
    expect(await page.locator('#detail [data-role="details"]').textContent()).toContain(`model alpha · pid ${g.supervisor.pid('alpha:w5')}`);
    expect(await page.locator('#detail button[data-command]:visible').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-command')))).toEqual(['restart', 'drain']);
    expect(await page.locator('#process-rows tr.selected').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-worker')))).toEqual(['alpha:w5']);

    // The pool chart shows one model's pool at a time, its state lit; the models' parent shows its own state
    // and each model in its phase.
    await expect.poll(() => page.locator('#pool').getAttribute('data-model')).toBe('alpha');
    await expect.poll(() => lit(page, 'pool-chart')).toEqual(['serving', 'serving.watching']);
    await page.locator('#pool-model').selectOption('beta');
    expect(await page.locator('#pool').getAttribute('data-model')).toBe('beta');
    expect(await page.locator('#pool').getAttribute('data-state')).toBe('serving.watching');
    expect(await page.locator('#pool-figures').textContent()).toContain('processes: 10');
    await expect.poll(() => lit(page, 'models-chart')).toEqual(['running', 'running.quiet']);
    expect(await page.locator('#model-phases .phase[data-phase="serving"] .chip').evaluateAll((chips) => chips.map((c) => c.textContent))).toEqual(['alpha', 'beta']);
    expect(await page.locator('#model-phases .phase.current').count()).toBe(1);

    // Bounded: 20 processes fit in well under the 9 000 px a chart per process took.
    const height = (await page.evaluate('document.body.scrollHeight')) as number;
    expect(height).toBeLessThan(2000);
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: new URL('ui-scale.png', OUTPUT).pathname, fullPage: true });
    await page.close();
  });
});
