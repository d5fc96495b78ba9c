import { renderMermaid } from 'beautiful-mermaid';
import { workerMachine } from '../machines/worker-machine.js';
import { machineToMermaid } from '../src/viz/machine-to-mermaid.js';

export const outputs = {
  mermaid: new URL('./worker-machine.mmd', import.meta.url),
  svg: new URL('./worker-machine.svg', import.meta.url),
};

// Both generated files, from the machine definition itself.
export async function renderWorkerMachine(): Promise<{ mermaid: string; svg: string }> {
  const mermaid = machineToMermaid(workerMachine);
  // The renderer links a web font; lifeguard's assets never reach for the network.
  const svg = (await renderMermaid(mermaid, { font: 'system-ui' })).replace(/^\s*@import url\([^)]*\);\n/m, '');
  return { mermaid, svg: `${svg.trim()}\n` };
}
