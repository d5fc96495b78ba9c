import { writeFile } from 'node:fs/promises';
import { outputs, renderWorkerMachine } from './render.js';

const { mermaid, svg } = await renderWorkerMachine();
await writeFile(outputs.mermaid, mermaid);
await writeFile(outputs.svg, svg);
console.log(`wrote ${outputs.mermaid.pathname} and ${outputs.svg.pathname}`);
