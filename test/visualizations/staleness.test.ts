import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { outputs, renderWorkerMachine } from '../../visualizations/render.js';

describe('visualizations', () => {
  it('the committed diagram is what the machine definition generates now (run `npm run viz` when this fails)', async () => {
    const fresh = await renderWorkerMachine();
    expect(await readFile(outputs.mermaid, 'utf8')).toBe(fresh.mermaid);
    expect(await readFile(outputs.svg, 'utf8')).toBe(fresh.svg);
  });

  it('the diagram shows every top-level state with its tag, the delayed and the always transitions', async () => {
    const { mermaid } = await renderWorkerMachine();
    for (const state of ['starting «waiting»', 'healthy «accepting»', 'draining «waiting»', 'restarting «waiting»', 'recovering «waiting»', 'offline «unavailable»', 'stopped «unavailable»']) {
      expect(mermaid).toContain(`state "${state}`);
    }
    expect(mermaid).toContain('recovering --> starting: after crashBackoff');
    expect(mermaid).toMatch(/healthy --> draining: .*always \[atProactiveThreshold and mayDrainProactively\]/);
    expect(mermaid).toContain('restarting --> offline: processStopper done [failureLimitPassed] | processStopper failed');
    expect(mermaid).toContain('healthy --> restarting: worker.exited [isCleanExit and cleanBudgetExceeded] | worker.exited [isCleanExit] | worker.exited');
    expect(mermaid).toContain('healthy --> healthy: after stableRun / resetFailures');
  });
});
