import { writeFile } from 'node:fs/promises';
import { machineNames, outputsOf, renderMachine } from './render.js';

for (const name of machineNames) {
  const { mermaid, svg } = await renderMachine(name);
  const outputs = outputsOf(name);
  await writeFile(outputs.mermaid, mermaid);
  await writeFile(outputs.svg, svg);
  console.log(`wrote ${outputs.mermaid.pathname} and ${outputs.svg.pathname}`);
}
