import type { WorkerMachineInput, WorkerTag } from './worker-types.js';

/** How conversations share processes (SPEC §6). */
export type Isolation = 'isolated' | 'shared';

export interface PoolPolicy {
  /** Processes that serve (--workers N). */
  workers: number;
  /** Clean spares kept started and verified ahead of need (--standby K). */
  standby: number;
  isolation: Isolation;
  /** A stateful process whose conversation idled this long is recycled. */
  sessionIdleMs: number;
}

/** The conversation a process holds: what the pool remembers after each answer. */
export interface HeldConversation {
  /** Digest of the conversation so far (the request's messages plus the answer). */
  digest: string;
  /** The client's name for it (prompt_cache_key or X-Session-Id), when it gave one. */
  key: string | null;
  /** Messages in the conversation so far, the answer included. */
  messageCount: number;
  turns: number;
  lastUsedAt: number;
}

/** One process of the pool as the pool sees it: plain data, summarised from its worker machine. */
export interface PoolSlot {
  id: string;
  /** The worker machine's tag: accepting, waiting or unavailable. */
  tag: WorkerTag;
  /** The worker's current run (process generation). */
  run: number;
  stateful: boolean;
  inFlight: number;
  /** The run in which this process served a request; clean while it differs from `run`. */
  usedRun: number | null;
  conversation: HeldConversation | null;
  /** A recycle was asked for this run: the process is on its way to being clean. */
  recycledRun: number | null;
}

export type RouteResult = 'continued' | 'new' | 'lost';

export interface PoolContext {
  policy: PoolPolicy;
  slots: PoolSlot[];
  /** Requests waiting for a clean process (they make the pool recycle even above its spares). */
  cleanWanted: number;
  /** Latest clock reading carried by an event. */
  now: number;
  /** When the pending idle check fires (set on entering `watching`). */
  idleCheckAt: number;
  routes: Record<RouteResult, number>;
  /** Conversations whose process went (crash, restart, recycle), newest last: a turn that
   * continues one of them is counted `lost` and served whole by a clean one. */
  lost: Array<{ digest: string; key: string | null }>;
}

export interface PoolMachineInput {
  policy: PoolPolicy;
  /** One worker machine input per process (workers + standby of them). */
  workers: WorkerMachineInput[];
}

export type PoolEvent =
  /** A worker machine's snapshot changed (the facade summarises it). */
  | { type: 'worker.changed'; slotId: string; tag: WorkerTag; run: number; stateful: boolean; inFlight: number }
  /** A request was given to a process: `result` says whether it continued the conversation there. */
  | { type: 'request.routed'; slotId: string; run: number; result: RouteResult; key: string | null; at: number }
  /** A process answered: it now holds this conversation. */
  | { type: 'conversation.answered'; slotId: string; run: number; digest: string; key: string | null; messageCount: number; at: number }
  /** How many requests wait for a clean process right now. */
  | { type: 'clean.wanted'; count: number; at: number }
  | { type: 'stop' };

export type PoolEmitted =
  | { type: 'slot.recycled'; slotId: string; reason: 'idle' | 'lru'; digest: string | null }
  | { type: 'conversation.routed'; slotId: string; result: RouteResult };
