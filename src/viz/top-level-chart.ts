import type { AnyStateMachine, AnyStateNode } from 'xstate';

export interface TopLevelChart {
  initial: string | null;
  states: Array<{ id: string; tags: string[]; substates: string[]; final: boolean }>;
  /** Transitions between top-level states (substates folded into their top-level state). */
  edges: Array<{ from: string; to: string; events: string[] }>;
  /** Transitions on the root: taken from any state. */
  anyState: Array<{ to: string; event: string }>;
  /** Transitions that stay inside one top-level state: between its substates, and its policies (a guarded
   * `always`, a timer) that act without leaving it. Bookkeeping without a target is left out. */
  inner: Array<{ state: string; events: string[] }>;
}

type Transition = AnyStateNode['transitions'] extends Map<string, Array<infer T>> ? T : never;

const descendants = (node: AnyStateNode): AnyStateNode[] => [node, ...(Object.values(node.states) as AnyStateNode[]).flatMap(descendants)];

function eventName(node: AnyStateNode, transition: Transition): string {
  const type = transition.eventType;
  if (type === '') return 'always';
  const delayed = node.after.find((t) => t.eventType === type);
  if (delayed) return `after ${typeof delayed.delay === 'string' ? delayed.delay : `${String(delayed.delay)} ms`}`;
  const actor = /^xstate\.(done|error)\.actor\.(.+)$/.exec(type);
  if (actor) {
    const src = node.invoke.find((i) => i.id === actor[2]);
    return `${typeof src?.src === 'string' ? src.src : actor[2]} ${actor[1] === 'done' ? 'done' : 'failed'}`;
  }
  return type;
}

// An event with its guard and, for a targetless policy, what it does: `always [spawnWanted] / spawnSlot`.
function policyName(node: AnyStateNode, transition: Transition): string {
  const guard = transition.guard as unknown as { type?: string } | string | undefined;
  const guardName = typeof guard === 'string' ? guard : guard?.type;
  const actions = transition.target?.length
    ? []
    : transition.actions.map((action) => (typeof action === 'string' ? action : String((action as { type?: string }).type ?? 'action')));
  return `${eventName(node, transition)}${guardName ? ` [${guardName}]` : ''}${actions.length ? ` / ${actions.join(', ')}` : ''}`;
}

// The statechart folded to its top-level states, for /ui's compact diagram: which states exist (with
// their tags and substates) and which events lead from one to another.
export function topLevelChart(machine: AnyStateMachine): TopLevelChart {
  const topLevel = Object.values(machine.root.states) as AnyStateNode[];
  const edges = new Map<string, { from: string; to: string; events: string[] }>();
  const inner = new Map<string, string[]>();
  const within = (state: string, event: string) => {
    const events = inner.get(state) ?? [];
    if (!events.includes(event)) events.push(event);
    inner.set(state, events);
  };
  for (const top of topLevel) {
    for (const node of descendants(top)) {
      for (const transition of [...[...node.transitions.values()].flat(), ...(node.always ?? [])] as Transition[]) {
        const policy = node.after.some((t) => t.eventType === transition.eventType) || (transition.eventType === '' && !!transition.guard);
        if (!transition.target?.length && policy) within(top.key, policyName(node, transition));
        for (const target of transition.target ?? []) {
          const to = target.path[0]!;
          if (to === top.key) {
            within(top.key, policyName(node, transition));
            continue;
          }
          const edge = edges.get(`${top.key}>${to}`) ?? { from: top.key, to, events: [] };
          const event = eventName(node, transition);
          if (!edge.events.includes(event)) edge.events.push(event);
          edges.set(`${top.key}>${to}`, edge);
        }
      }
    }
  }
  const root = machine.root;
  const anyState = ([...[...root.transitions.values()].flat()] as Transition[]).flatMap((transition) =>
    (transition.target ?? []).map((target) => ({ to: target.path[0]!, event: eventName(root, transition) })),
  );
  return {
    initial: root.initial?.target[0]?.key ?? null,
    states: topLevel.map((node) => ({
      id: node.key,
      tags: [...node.tags],
      substates: descendants(node).slice(1).map((child) => child.path.join('.')),
      final: node.type === 'final',
    })),
    edges: [...edges.values()],
    anyState,
    inner: [...inner].map(([state, events]) => ({ state, events })),
  };
}
