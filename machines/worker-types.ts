import type { ExitClass } from './policy/exit-classification.js';
import type { LifecyclePolicy } from './policy/policy.js';
import type { ContextUsage } from './policy/context-usage.js';

/** The serialisable payload of `worker.exited`, made once at the process boundary. */
export interface WorkerExit {
  code: number | null;
  signal: string | null;
  class: ExitClass;
  runDurationMs: number;
  /** When the exit was observed (ms since the epoch, or the simulated clock). */
  at: number;
  /** Spawn failure code (ENOENT, EACCES, …) when the process never ran. */
  error: string | null;
}

export interface WorkerLimits {
  tokenLimit: number;
  turnLimit: number;
}

/** Why the machine entered its current state; also the `reason` label of restarts. */
export type LifecycleReason =
  | 'start'
  | 'ready'
  | 'verified'
  | 'crash'
  | 'clean_exit'
  | 'clean_budget'
  | 'startup_timeout'
  | 'verification_failed'
  | 'proactive'
  | 'hard_limit'
  | 'memory'
  | 'wedge'
  | 'admin_restart'
  | 'admin_drain'
  /** The pool recycles a process whose conversation idled out or was least recently used (docs/architecture.md#conversations-and-the-pool). */
  | 'recycle'
  | 'drained'
  | 'drain_timeout'
  | 'backoff_elapsed'
  | 'failures_exhausted'
  | 'stop_failed'
  | 'recover'
  | 'stop';

export interface WorkerMachineInput {
  workerId: string;
  policy?: Partial<LifecyclePolicy>;
  /** Seed of the jitter PRNG; the runtime passes a random one, tests a fixed one. */
  seed?: number;
  /** How many workers the supervisor runs (proactive drains wait for a peer when > 1). */
  workerCount?: number;
  /** The pool's isolation: an isolated stateful worker's context is its one conversation. */
  isolation?: 'isolated' | 'shared';
}

export interface WorkerContext {
  workerId: string;
  policy: LifecyclePolicy;
  seed: number;
  workerCount: number;
  peersAccepting: number;
  /** Runs spawned so far; the current process is run number `run`. */
  run: number;
  pid: number | null;
  models: string[];
  /** An upstream server's own /v1/models entries (openai-http), as it sent them. */
  modelEntries: Record<string, unknown>[];
  maxConcurrency: number;
  /** Said by the worker's ready: it holds conversations, so the pool gives it one at a time. */
  stateful: boolean;
  isolation: 'isolated' | 'shared';
  limits: WorkerLimits;
  usage: ContextUsage;
  /** Requests are in flight on this run (the facade counts them; the machine learns the edges). */
  busy: boolean;
  rssBytes: number | null;
  /** Latest clock reading carried by an event (events are stamped at the boundary). */
  now: number;
  consecutiveFailures: number;
  crashCount: number;
  restartCount: number;
  cleanExits: number[];
  memoryRestarts: number[];
  lastExit: WorkerExit | null;
  reason: LifecycleReason;
  restartReason: LifecycleReason | null;
  backoffMs: number;
  offlineReason: string | null;
}

export type WorkerEvent =
  | { type: 'worker.spawned'; pid: number; at: number }
  | {
      type: 'worker.ready';
      models: string[];
      modelEntries?: Record<string, unknown>[];
      limits?: Partial<WorkerLimits>;
      maxConcurrency?: number;
      /** The worker keeps each conversation's history itself (jsonl v1.1, claude-code). */
      stateful?: boolean;
    }
  | ({ type: 'worker.exited' } & WorkerExit)
  | { type: 'worker.output' }
  | { type: 'context.reported'; tokens: number; turns: number; limits?: Partial<WorkerLimits> }
  /** The first request in flight: none was before (the facade counts requests, per run). */
  | { type: 'requests.began' }
  /** The last request in flight ended: none is left. */
  | { type: 'requests.ended' }
  /** A request got no answer event for the gateway's idle timeout (heartbeats notwithstanding). */
  | { type: 'request.stalled'; requestId: string }
  | { type: 'memory.sampled'; rssBytes: number; at: number }
  | { type: 'peers.updated'; accepting: number }
  | { type: 'restart' }
  | { type: 'drain' }
  | { type: 'recycle' }
  | { type: 'recover' }
  | { type: 'stop' };

export type WorkerEmitted =
  | { type: 'run.began'; run: number; reason: LifecycleReason; restartCount: number }
  | { type: 'backoff.scheduled'; ms: number; reason: LifecycleReason; failures: number }
  | { type: 'health.warned'; reason: 'clean_restart_budget' | 'memory_restart_budget'; count: number }
  | { type: 'offline.entered'; reason: string }
  | { type: 'exit.recorded'; exit: WorkerExit; crashCount: number; consecutiveFailures: number };

export type WorkerTag = 'accepting' | 'waiting' | 'unavailable';

export interface ProcessActorInput {
  workerId: string;
  run: number;
}

export interface ProbeActorInput {
  workerId: string;
  run: number;
  timeoutMs: number;
}

export interface StopperActorInput {
  workerId: string;
  run: number;
  graceMs: number;
  reason: LifecycleReason | null;
}
