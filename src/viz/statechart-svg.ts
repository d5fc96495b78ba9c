import { renderMermaid } from 'beautiful-mermaid';
import type { AnyStateMachine } from 'xstate';
import { machineToMermaid } from './machine-to-mermaid.js';

// The machine as an SVG (DOM-free renderer). The renderer links a web font; lifeguard's assets never
// reach for the network, so that line is dropped.
export async function statechartSvg(machine: AnyStateMachine): Promise<string> {
  const svg = await renderMermaid(machineToMermaid(machine), { font: 'system-ui' });
  return `${svg.replace(/^\s*@import url\([^)]*\);\n/m, '').trim()}\n`;
}
