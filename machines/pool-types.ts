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
  /** Requests are in flight on it (its worker machine's `busy`). */
  busy: boolean;
  /** The run in which this process served a request; clean while it differs from `run`. */
  usedRun: number | null;
  conversation: HeldConversation | null;
  /** A recycle was asked for this run: the process is on its way to being clean. */
  recycledRun: number | null;
}

export type RouteResult = 'continued' | 'new' | 'lost';

/** One answer a process gave: the conversation it holds from now on. */
export interface ConversationAnswer {
  slotId: string;
  /** The run that answered (an answer of an earlier run is ignored). */
  run: number;
  /** Digest of the conversation with this answer (the request's messages plus the answer). */
  digest: string;
  key: string | null;
  messageCount: number;
  /** It continued the conversation the process held (one turn on), or began a new one. */
  continued: boolean;
  /** When the answer ended (the conversation's last use). */
  at: number;
}

export interface PoolContext {
  policy: PoolPolicy;
  slots: PoolSlot[];
  /** Requests waiting for a clean process (they make the pool recycle even above its spares). */
  cleanWanted: number;
  /** Latest clock reading carried by an event (or the idle check's own time when it fires). */
  now: number;
  /** When the pending idle check fires (set on entering `watching`): never after the end of any
   * conversation's idle time, since a use only ever pushes that end later. */
  idleCheckAt: number;
  /** Conversations whose process went (crash, restart, recycle), newest last: a turn that
   * continues one of them is counted `lost` and served whole by a clean one. */
  lost: Array<{ digest: string; key: string | null }>;
}

export interface PoolMachineInput {
  policy: PoolPolicy;
  /** The clock's reading as the pool starts (events carry theirs); 0 by default. */
  now?: number;
  /** One worker machine input per process (workers + standby of them). */
  workers: WorkerMachineInput[];
}

export type PoolEvent =
  /** A worker machine's snapshot changed (the facade summarises it). */
  | { type: 'worker.changed'; slotId: string; tag: WorkerTag; run: number; stateful: boolean; busy: boolean; at: number }
  /** A request was given to a process and that changes what the pool holds before the answer comes
   * (routeChangesPool): a clean process becomes used, or a named conversation moves. */
  | { type: 'request.routed'; slotId: string; run: number; result: RouteResult; key: string | null; at: number }
  /** Processes answered: each now holds the conversation of its answer (the facade gathers answers
   * and tells them before anything they could matter to; `at`: when they were told). */
  | { type: 'conversations.answered'; answers: ConversationAnswer[]; at: number }
  /** How many requests wait for a clean process right now. */
  | { type: 'clean.wanted'; count: number; at: number }
  | { type: 'stop' };

export type PoolEmitted = { type: 'slot.recycled'; slotId: string; reason: 'idle' | 'lru'; digest: string | null };
