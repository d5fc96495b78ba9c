import { workerMachine } from '../machines/worker-machine.js';
import { machineToMermaid } from '../src/viz/machine-to-mermaid.js';
import { statechartSvg } from '../src/viz/statechart-svg.js';

export const outputs = {
  mermaid: new URL('./worker-machine.mmd', import.meta.url),
  svg: new URL('./worker-machine.svg', import.meta.url),
};

// Both generated files, from the machine definition itself.
export async function renderWorkerMachine(): Promise<{ mermaid: string; svg: string }> {
  return { mermaid: machineToMermaid(workerMachine), svg: await statechartSvg(workerMachine) };
}
