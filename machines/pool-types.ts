import type { WorkerMachineInput, WorkerTag } from './worker-types.js';

/**
 * How conversations share processes (docs/architecture.md#conversations-and-the-pool): `conversation` gives each conversation a process of
 * its own; `tenant` answers a tenant's first turns on a warm lane process of that tenant and moves a
 * conversation to a process of its own from its second turn; `shared` lets any process of a tenant
 * serve any of its requests. No mode lets one process hold the words of two tenants.
 */
export type Isolation = 'conversation' | 'tenant' | 'shared';

export interface PoolPolicy {
  /** Processes started at boot and never retired below (with `standby`); in shared mode also how
   * many used processes of one tenant share its requests before a spare is taken (--workers N). */
  workers: number;
  /** Clean spares kept started and verified ahead of need at the least (--standby K). */
  standby: number;
  isolation: Isolation;
  /** A tenant's own isolation (the api_keys file); the others use `isolation`. */
  tenantIsolation: Record<string, Isolation>;
  /** A conversation idle this long gives its process up. */
  sessionIdleMs: number;
  /** Processes at most, whatever the budget says (--max-processes). */
  maxProcesses: number;
  /** RssAnon+RssShmem the processes may take together (--memory-budget-mb, in bytes here). */
  memoryBudgetBytes: number;
  /** Processes starting at once at most: refills wait for a start to end (--spawn-concurrency). */
  spawnConcurrency: number;
}

/** The conversation a process holds: what the pool remembers after each answer. */
export interface HeldConversation {
  /** Digest of the conversation so far (the request's messages plus the answer); '' for a lane. */
  digest: string;
  /** The client's name for it (prompt_cache_key or X-Session-Id), when it gave one. */
  key: string | null;
  /** The tenant whose conversation it is. */
  tenant: string;
  /** The process is its tenant's warm lane: it answers first turns, it holds no one conversation. */
  lane: boolean;
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
  /** Requests are in flight on it (its worker machine's `busy`): never recycled nor retired then. */
  busy: boolean;
  /** The run in which this process served a request; clean while it differs from `run`. */
  usedRun: number | null;
  /** The tenant whose words the used run holds (meaningless while the process is clean). */
  tenant: string | null;
  conversation: HeldConversation | null;
  /** A recycle was asked for this run: the process is on its way to being clean. */
  recycledRun: number | null;
  /** The process tree's RssAnon+RssShmem, as last measured (null: not yet). */
  rssBytes: number | null;
  /** Its context is at the proactive-restart threshold (a lane that is full is recycled). */
  full: boolean;
  /** Since when the process has been on its way to accepting (null: it accepts, or is offline). */
  waitingSince: number | null;
}

export type RouteResult = 'continued' | 'new' | 'lost' | 'moved';

/** One answer a process gave: the conversation it holds from now on. */
export interface ConversationAnswer {
  slotId: string;
  /** The run that answered (an answer of an earlier run is ignored). */
  run: number;
  /** Digest of the conversation with this answer (the request's messages plus the answer). */
  digest: string;
  key: string | null;
  tenant: string;
  /** It was a first turn answered on its tenant's lane. */
  lane: boolean;
  messageCount: number;
  /** It continued the conversation the process held (one turn on), or began a new one. */
  continued: boolean;
  /** When the answer ended (the conversation's last use). */
  at: number;
}

/** A conversation that left its process, remembered to count (and serve) its next turn. */
export interface GoneConversation {
  digest: string;
  key: string | null;
  tenant: string;
}

export interface PoolContext {
  policy: PoolPolicy;
  slots: PoolSlot[];
  /** Requests waiting for a clean process (they make the pool refill even above its spares). */
  cleanWanted: number;
  /** Latest clock reading carried by an event (or the idle check's own time when it fires). */
  now: number;
  /** When the pending idle check fires (set on entering `watching`): never after the end of any
   * conversation's idle time, since a use only ever pushes that end later. */
  idleCheckAt: number;
  /** Conversations whose process went (crash, restart, recycle, retire), newest last: a turn that
   * continues one of them is counted `lost` and served whole by a clean one. */
  lost: GoneConversation[];
  /** First turns answered on lanes, newest last: a turn that continues one is counted `moved`. */
  laneTurns: GoneConversation[];
  /** When clean processes were taken lately (new conversations arriving), oldest first. */
  arrivals: number[];
  /** How long a process takes from spawn (or recycle) to accepting, smoothed over the last ones. */
  coldStartMs: number;
  /** The number of the next slot spawned (slot ids are `${slotPrefix}${n}`, never reused). */
  nextSlot: number;
  slotPrefix: string;
}

export interface PoolMachineInput {
  policy: PoolPolicy;
  /** The clock's reading as the pool starts (events carry theirs); 0 by default. */
  now?: number;
  /** One worker machine input per process started at boot; processes spawned later take the first
   * one's input with their own id and seed. */
  workers: WorkerMachineInput[];
  /** Ids of processes spawned later: this prefix and a number ('w' by default). */
  slotPrefix?: string;
}

export type PoolEvent =
  /** A worker machine's snapshot changed (the facade summarises it). */
  | { type: 'worker.changed'; slotId: string; tag: WorkerTag; run: number; stateful: boolean; busy: boolean; full?: boolean; at: number }
  /** A process tree's memory was measured anew (told when it moved by a MiB or more). */
  | { type: 'worker.measured'; slotId: string; rssBytes: number; at: number }
  /** A request was given to a process and that changes what the pool holds before the answer comes
   * (routeChangesPool): a clean process becomes used, or a named conversation moves. */
  | {
      type: 'request.routed';
      slotId: string;
      run: number;
      result: RouteResult;
      key: string | null;
      tenant: string;
      lane: boolean;
      /** The requests still waiting for a clean process, when this one was among them. */
      cleanWanted?: number;
      at: number;
    }
  /** Processes answered: each now holds the conversation of its answer (the facade gathers answers
   * and tells them before anything they could matter to; `at`: when they were told). */
  | { type: 'conversations.answered'; answers: ConversationAnswer[]; at: number }
  /** How many requests wait for a clean process right now. */
  | { type: 'clean.wanted'; count: number; at: number }
  | { type: 'stop' };

export type PoolEmitted =
  /** A process restarts clean: its conversation idled out, was least recently used, or its lane is full. */
  | { type: 'slot.recycled'; slotId: string; reason: 'idle' | 'lru' | 'lane'; digest: string | null }
  /** A process was added (its worker machine spawned as a child with this id). */
  | { type: 'slot.spawned'; slotId: string; reason: 'floor' | 'spare' }
  /** A process was stopped for good: its conversation idled out, the memory budget is exceeded, or
   * more spares are kept than wanted. */
  | { type: 'slot.retired'; slotId: string; reason: 'idle' | 'budget' | 'excess'; digest: string | null };
