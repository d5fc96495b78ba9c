import type { AnyStateMachine, AnyStateNode } from 'xstate';

type Transition = AnyStateNode['transitions'] extends Map<string, Array<infer T>> ? T : never;

function mermaidId(node: AnyStateNode): string {
  return node.path.join('_') || 'root';
}

function describeGuard(guard: unknown): string {
  if (!guard) return '';
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const { name } = guard as { name?: string };
    return name && name !== 'guard' ? name : 'guard';
  }
  if (typeof guard === 'object' && guard !== null && 'type' in guard) {
    return String((guard as { type: string }).type);
  }
  return 'guard';
}

// Higher-order guards (and/not) show their parts, e.g. "isCleanExit and cleanBudgetExceeded".
function guardLabel(guard: unknown): string {
  const check = (guard as { check?: { name?: string } } | undefined)?.check;
  const parts = (guard as { guards?: unknown[] } | undefined)?.guards;
  if (typeof guard === 'function' && parts) {
    const op = (guard as { check?: { name?: string } }).check?.name ?? '';
    const names = parts.map(guardLabel);
    if (op.includes('not') || names.length === 1) return `not ${names[0]}`;
    return names.join(' and ');
  }
  if (check && parts) return parts.map(guardLabel).join(' and ');
  return describeGuard(guard);
}

function eventLabel(node: AnyStateNode, transition: Transition): string {
  const type = transition.eventType;
  if (type === '') return 'always';
  const delayed = node.after.find((t) => t.eventType === type);
  if (delayed) return `after ${typeof delayed.delay === 'string' ? delayed.delay : `${String(delayed.delay)} ms`}`;
  const done = /^xstate\.done\.actor\.(.+)$/.exec(type);
  if (done) return `${invokedSrc(node, done[1]!)} done`;
  const error = /^xstate\.error\.actor\.(.+)$/.exec(type);
  if (error) return `${invokedSrc(node, error[1]!)} failed`;
  return type;
}

function invokedSrc(node: AnyStateNode, id: string): string {
  const invocation = node.invoke.find((i) => i.id === id);
  return typeof invocation?.src === 'string' ? invocation.src : id;
}

function label(node: AnyStateNode, transition: Transition): string {
  const guard = transition.guard ? ` [${guardLabel(transition.guard)}]` : '';
  return `${eventLabel(node, transition)}${guard}`.replace(/:/g, ' ');
}

function actionNames(transition: Transition): string[] {
  return transition.actions.map((action) =>
    typeof action === 'string' ? action : String((action as { type?: string }).type ?? 'action'),
  );
}

function allTransitions(node: AnyStateNode): Transition[] {
  return [...[...node.transitions.values()].flat(), ...(node.always ?? [])];
}

// Several transitions between the same two states become one arrow listing them all, so the
// diagram stays readable (the worker's exits alone are four guarded transitions per running state).
function mergeParallelEdges(edges: string[]): string[] {
  const merged = new Map<string, string[]>();
  for (const edge of edges) {
    const [arrow, label] = edge.split(': ', 2) as [string, string | undefined];
    const labels = merged.get(arrow) ?? [];
    if (label !== undefined) labels.push(label);
    merged.set(arrow, labels);
  }
  return [...merged].map(([arrow, labels]) => (labels.length ? `${arrow}: ${labels.join(' | ')}` : arrow));
}

// The statechart as Mermaid stateDiagram-v2, walked from the state nodes themselves so that
// `always` and delayed transitions, which the definition JSON leaves out, are drawn too.
export function machineToMermaid(machine: AnyStateMachine): string {
  const lines: string[] = ['stateDiagram-v2'];
  const edges: string[] = [];
  const root = machine.root;
  const topLevel = Object.values(root.states) as AnyStateNode[];

  const declare = (node: AnyStateNode, indent: string) => {
    const id = mermaidId(node);
    const tags = node.tags.length ? ` «${node.tags.join(', ')}»` : '';
    const invokes = node.invoke.map((i) => (typeof i.src === 'string' ? i.src : i.id));
    const title = `${node.key}${tags}${invokes.length ? ` ⟳ ${invokes.join(', ')}` : ''}`;
    lines.push(`${indent}state "${title}" as ${id}`);
    const children = Object.values(node.states) as AnyStateNode[];
    if (children.length) {
      lines.push(`${indent}state ${id} {`);
      children.forEach((child) => declare(child, `${indent}  `));
      const initial = node.initial?.target[0];
      if (initial) lines.push(`${indent}  [*] --> ${mermaidId(initial)}`);
      lines.push(`${indent}}`);
    }
    if (node.type === 'final') edges.push(`${id} --> [*]`);
    for (const transition of allTransitions(node)) {
      const targets = transition.target ?? [];
      for (const target of targets) edges.push(`${id} --> ${mermaidId(target)}: ${label(node, transition)}`);
      // Targetless bookkeeping (counting requests, recording samples) would drown the diagram;
      // a targetless timer or guarded `always` is policy (the stable run, the pool's recycling),
      // so it is drawn with its actions.
      const policy = node.after.some((t) => t.eventType === transition.eventType) || (transition.eventType === '' && transition.guard);
      if (!targets.length && policy) {
        edges.push(`${id} --> ${id}: ${label(node, transition)} / ${actionNames(transition).join(', ')}`);
      }
    }
  };

  topLevel.forEach((node) => declare(node, '  '));
  const initial = root.initial?.target[0];
  if (initial) lines.push(`  [*] --> ${mermaidId(initial)}`);
  // Transitions on the root apply in every state: drawn from each top-level state they can leave.
  for (const transition of allTransitions(root)) {
    for (const target of transition.target ?? []) {
      for (const node of topLevel) {
        if (node !== target && node.type !== 'final') {
          edges.push(`${mermaidId(node)} --> ${mermaidId(target)}: ${label(root, transition)}`);
        }
      }
    }
  }
  return `${[...lines, ...mergeParallelEdges(edges).map((edge) => `  ${edge}`)].join('\n')}\n`;
}
