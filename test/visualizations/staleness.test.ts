import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { machineNames, outputsOf, renderMachine, renderWorkerMachine } from '../../visualizations/render.js';

describe('visualizations', () => {
  it.each(machineNames)('the committed %s diagram is what its definition generates now (run `npm run viz` when this fails)', async (name) => {
    const fresh = await renderMachine(name);
    expect(await readFile(outputsOf(name).mermaid, 'utf8')).toBe(fresh.mermaid);
    expect(await readFile(outputsOf(name).svg, 'utf8')).toBe(fresh.svg);
  });

  it('the pool diagram shows its idle check and its recycling of the least recently used', async () => {
    const { mermaid } = await renderMachine('pool-machine');
    expect(mermaid).toContain('after idleCheck');
    expect(mermaid).toContain('spareNeeded');
  });

  it('the diagram shows every top-level state with its tag, the delayed and the always transitions', async () => {
    const { mermaid } = await renderWorkerMachine();
    for (const state of ['starting «waiting»', 'healthy «accepting»', 'draining «waiting»', 'restarting «waiting»', 'recovering «waiting»', 'offline «unavailable»', 'stopped «unavailable»']) {
      expect(mermaid).toContain(`state "${state}`);
    }
    expect(mermaid).toContain('recovering --> starting: after crashBackoff');
    expect(mermaid).toMatch(/healthy --> draining: .*always \[atProactiveThreshold and mayDrainProactively and not holdsIsolatedConversation\]/);
    expect(mermaid).toContain('restarting --> offline: processStopper done [failureLimitPassed] | processStopper failed');
    expect(mermaid).toContain('healthy --> restarting: worker.exited [isCleanExit and cleanBudgetExceeded] | worker.exited [isCleanExit] | worker.exited');
    expect(mermaid).toContain('healthy --> healthy: after stableRun / resetFailures');
  });
});
