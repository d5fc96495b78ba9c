import type { AnyStateMachine } from 'xstate';
import { modelsMachine } from '../machines/models-machine.js';
import { poolMachine } from '../machines/pool-machine.js';
import { workerMachine } from '../machines/worker-machine.js';
import { machineToMermaid } from '../src/viz/machine-to-mermaid.js';
import { statechartSvg } from '../src/viz/statechart-svg.js';

const machines: Record<string, AnyStateMachine> = { 'worker-machine': workerMachine, 'pool-machine': poolMachine, 'models-machine': modelsMachine };

export const outputsOf = (name: string) => ({
  mermaid: new URL(`./${name}.mmd`, import.meta.url),
  svg: new URL(`./${name}.svg`, import.meta.url),
});

export const outputs = outputsOf('worker-machine');

/** Both generated files of one machine, from its definition itself. */
export async function renderMachine(name: string): Promise<{ mermaid: string; svg: string }> {
  const machine = machines[name]!;
  return { mermaid: machineToMermaid(machine), svg: await statechartSvg(machine) };
}

export const machineNames = Object.keys(machines);

export const renderWorkerMachine = () => renderMachine('worker-machine');
