// The models' parent statechart: its table, events and input (issue #27). Each model's pool is a black
// box the runtime starts and stops; the table here is what decides when.

/** Where a model is in its lifecycle: unloaded → starting → serving → draining → stopping → unloaded. */
export type ModelPhase = 'unloaded' | 'starting' | 'serving' | 'draining' | 'stopping';

export type ModelStart = 'boot' | 'on_demand';

/** One model as configured: what the table needs of it. */
export interface ModelSpec {
  id: string;
  /** Models with the same label never have processes at once. */
  exclusive: string | null;
  /** Idle (nothing in flight or waiting) this long → unloaded; null: never. */
  ttlMs: number | null;
  start: ModelStart;
}

/** One row of the model table: plain data. */
export interface ModelEntry extends ModelSpec {
  phase: ModelPhase;
  /** Requests waiting for it to serve. */
  waiting: number;
  /** Admitted requests whose answer has not ended yet. */
  inFlight: number;
  /** When its last request ended (or it began serving): the TTL counts from here. */
  lastUsedAt: number;
  /** When (in arrival order) it was first wanted while not serving: the oldest want is loaded first. */
  wantedSeq: number;
  /** `start: boot` and not loaded yet. */
  bootPending: boolean;
}

export interface ModelsContext {
  models: ModelEntry[];
  /** Latest clock reading carried by an event (or the TTL check's own time when it fires). */
  now: number;
  /** When the pending TTL check fires (set on entering `watching`). */
  ttlCheckAt: number;
  /** Counts arrivals, to order wants. */
  seq: number;
}

export interface ModelsMachineInput {
  models: ModelSpec[];
  /** The clock's reading as the table starts; 0 by default. */
  now?: number;
}

export type ModelsEvent =
  /** A request names the model (it is admitted at once when the model serves, else it waits). */
  | { type: 'request.arrived'; modelId: string; at: number }
  /** A waiting request gave up (queue wait over, client gone) before it was admitted. */
  | { type: 'request.withdrawn'; modelId: string; at: number }
  /** An admitted request's answer ended (however it ended). */
  | { type: 'request.ended'; modelId: string; at: number }
  /** The runtime started the model's pool. */
  | { type: 'pool.started'; modelId: string; at: number }
  /** The model's pool could not be started. */
  | { type: 'pool.failed'; modelId: string; error: string; at: number }
  /** Every process of the model's pool has ended. */
  | { type: 'pool.stopped'; modelId: string; at: number }
  /** An operator unloads the model (POST /admin/models/:id/unload). */
  | { type: 'model.unload'; modelId: string; at: number }
  | { type: 'stop' };

export type UnloadReason = 'ttl' | 'admin' | 'exclusive';

export type ModelsEmitted =
  /** The runtime starts the model's pool (it answers pool.started or pool.failed). */
  | { type: 'pool.start'; modelId: string }
  /** The runtime stops the model's pool: nothing is in flight on it (it answers pool.stopped). */
  | { type: 'pool.stop'; modelId: string }
  /** `count` waiting requests for the model may go to its pool now (oldest first). */
  | { type: 'model.admitted'; modelId: string; count: number }
  /** The model's waiting requests fail: its pool could not start. */
  | { type: 'model.rejected'; modelId: string; count: number; error: string }
  | { type: 'model.loading'; modelId: string }
  | { type: 'model.unloading'; modelId: string; reason: UnloadReason }
  | { type: 'model.unloaded'; modelId: string };
