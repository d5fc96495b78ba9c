import type { ActorRefFrom, InspectionEvent, Observer, SnapshotFrom } from 'xstate';
import type { WorkerMachine } from '../../machines/worker-machine.js';
import type { WorkerEmitted, WorkerTag } from '../../machines/worker-types.js';
import type { RouteResult } from '../../machines/pool-types.js';
import type { AnswerEvent, ChatRequestBody } from '../drivers/driver.js';
import type { CancelSignal } from '../util/cancellation.js';
import type { ContextReports } from './context-reports.js';
import type { InFlight } from './in-flight.js';
import type { WorkerRuntime } from './worker-runtime.js';

// What the supervisor facade speaks: its events, a dispatch, the workers it keeps.

export type WorkerSnapshot = SnapshotFrom<WorkerMachine>;
export type InspectionObserver = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

export type SupervisorEvent =
  | { type: 'transition'; workerId: string; from: string | null; to: string; snapshot: WorkerSnapshot }
  | { type: 'snapshot'; workerId: string; snapshot: WorkerSnapshot }
  | { type: 'lifecycle'; workerId: string; event: WorkerEmitted }
  | { type: 'spawned'; workerId: string; pid: number; run: number }
  | { type: 'ready'; workerId: string; pid: number | null; run: number; models: string[] }
  /** `queued`: the request waited for a process (none could take it when it arrived); `waitedMs` how long. */
  | { type: 'routed'; workerId: string; result: RouteResult; tenant: string; lane: boolean; queued: boolean; waitedMs: number }
  | { type: 'recycled'; workerId: string; reason: 'idle' | 'lru' | 'lane' }
  /** The pool added a process (to reach its floor, or as a spare). */
  | { type: 'pool.spawned'; workerId: string; reason: 'floor' | 'spare' }
  /** The pool stopped a process for good (its conversation idled out, over budget, a spare in excess). */
  | { type: 'retired'; workerId: string; reason: 'idle' | 'budget' | 'excess' };

export interface Dispatch {
  workerId: string;
  /** The worker's run (process generation) that took the request. */
  run: number;
  requestId: string;
  events: AsyncIterable<AnswerEvent>;
  /** The gateway saw no answer event for its idle timeout: the worker is wedged, restart it. */
  stalled(): void;
}

export interface DispatchOptions {
  /** The conversation's name from the client (X-Session-Id); prompt_cache_key in the body also names it. */
  sessionKey?: string | null;
  /** Whose request it is (the API key's tenant); 'anonymous' when absent. */
  tenant?: string;
  /** Called on every event of the answer as it passes (the gateway's idle watch). */
  onEvent?: () => void;
}

/** The dispatch as the gateway calls it (the supervisor's, or one that wraps it: tracing, structured output). */
export type DispatchFn = (body: ChatRequestBody, signal: CancelSignal, avoid?: { workerId: string; run: number }, options?: DispatchOptions) => Promise<Dispatch>;

export type WorkerCommand = 'restart' | 'drain' | 'recover';

export interface SupervisedWorker {
  id: string;
  actor: ActorRefFrom<WorkerMachine>;
  runtime: WorkerRuntime;
  state: string | null;
  /** Requests this supervisor has handed to the worker and not yet seen end, whatever run took
   * them: its load. Counted here, not read from the machine: the router claims slots synchronously. */
  leases: number;
  /** Client tool calls its process waits on, and the run they belong to (busy meanwhile, no lease). */
  parked: { count: number; run: number };
  /** Of those, the ones the current run took, as its machine learns them (in-flight.ts). */
  inFlight: InFlight;
  /** Its context reports on their way to its machine (context-reports.ts). */
  contextReports: ContextReports;
  /** What the pool and the peers last learned of this worker. */
  told: { tag: WorkerTag | null; run: number; stateful: boolean; busy: boolean; full: boolean; rssBytes: number; peers: number };
  /** The models its worker announced (kept to tell when they change). */
  models: string[];
  /** A re-dispatched request holds it alone: nothing else is routed to it until that request ends. */
  exclusive: boolean;
  /** A re-dispatched request waits for it to empty (quarantine.ts): nothing new is routed to it meanwhile. */
  reservedFor: object | null;
}

export function topLevelState(snapshot: WorkerSnapshot): string {
  const value = snapshot.value;
  return typeof value === 'string' ? value : Object.keys(value)[0]!;
}

/** The worker's machine is running and still on `run`: news of that run may still be told to it. */
export const isOnRun = (snapshot: WorkerSnapshot, run: number): boolean => snapshot.context.run === run && snapshot.status === 'active';

export const tagOf = (snapshot: WorkerSnapshot): WorkerTag =>
  snapshot.hasTag('accepting') ? 'accepting' : snapshot.hasTag('unavailable') ? 'unavailable' : 'waiting';

