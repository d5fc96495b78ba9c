import type { AnyStateMachine } from 'xstate';
import { machineToMermaid } from './machine-to-mermaid.js';

// The machine as an SVG (DOM-free renderer, loaded only when a diagram is asked for: it is large).
// The renderer links a web font; lifeguard's assets never reach for the network, so that line is dropped.
export async function statechartSvg(machine: AnyStateMachine): Promise<string> {
  const { renderMermaid } = await import('beautiful-mermaid');
  const svg = await renderMermaid(machineToMermaid(machine), { font: 'system-ui' });
  return `${svg.replace(/^\s*@import url\([^)]*\);\n/m, '').trim()}\n`;
}
