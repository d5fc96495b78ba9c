import type { QueueObserver } from '../util/async-queue.js';
import type { CancelSignal } from '../util/cancellation.js';
import type { Logger } from '../util/logger.js';
import type { SpawnSpec, WorkerProcess } from '../process/worker-process.js';

/** The OpenAI chat completion request body, validated by the gateway. */
export interface ChatMessage {
  role: string;
  content: unknown;
  [key: string]: unknown;
}

export interface ChatRequestBody {
  model?: string;
  messages: ChatMessage[];
  stream?: boolean;
  [key: string]: unknown;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  /** The usage object exactly as an upstream server sent it (openai-http): its details are passed on. */
  raw?: Record<string, unknown>;
}

export interface ContextReport {
  tokens: number;
  turns: number;
  /** Limits the worker revealed with this answer (e.g. Claude Code's context window). */
  limits?: { tokenLimit?: number; turnLimit?: number };
}

/** One piece of a tool call, in OpenAI's streamed `delta.tool_calls[]` shape: later pieces of the
 * same `index` append to `function.arguments`. */
export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
  [key: string]: unknown;
}

/** Fields an upstream OpenAI-compatible server sent that lifeguard has no model for (`refusal`,
 * `logprobs`, `system_fingerprint`, `reasoning_content`, …): the chat completions surface passes them
 * on unchanged, at the level they came (the chunk, its choice, the choice's delta). */
export interface PassThrough {
  chunk?: Record<string, unknown>;
  choice?: Record<string, unknown>;
  delta?: Record<string, unknown>;
}

/** An answer, as every driver streams it and every API surface renders it. */
export type AnswerEvent =
  | { type: 'delta'; content: string; passThrough?: PassThrough }
  | { type: 'tool_call'; call: ToolCallDelta; passThrough?: PassThrough }
  | { type: 'done'; finishReason: string; usage: Usage; context: ContextReport | null; passThrough?: PassThrough; /** The stop sequence the answer was cut at (finishReason "stop"). */ stopSequence?: string };

export interface ReadyInfo {
  models: string[];
  /** The upstream server's own /v1/models entries (openai-http), kept for the gateway's /v1/models. */
  modelEntries?: Record<string, unknown>[];
  limits?: { tokenLimit?: number; turnLimit?: number };
  maxConcurrency?: number;
  /** The worker keeps each conversation's history itself (docs/protocol.md v1.1, docs/architecture.md#conversations-and-the-pool). */
  stateful?: boolean;
}

/**
 * How a request reaches a stateful worker (docs/architecture.md#conversations-and-the-pool): `continues` when the worker holds the
 * conversation already, and then `messages` are only the ones new since its last answer.
 */
export interface ConversationTurn {
  continues: boolean;
  messages: ChatMessage[];
}

/** What a session tells the runtime about its worker, as it happens. */
export interface SessionHooks {
  ready(info: ReadyInfo): void;
  /** Any output from the worker: proof of life for the wedge timer. */
  activity(): void;
  context(report: ContextReport): void;
  /** Calls of the client's tools the worker waits on (0: none any more): the process is busy meanwhile. */
  parked?(count: number): void;
  /** The session asks for its process to be replaced (e.g. a parked tool call timed out). */
  recycle?(reason: string): void;
  logger: Logger;
  workerId: string;
}

/** One driver session per spawned process. */
export interface WorkerSession {
  probe(timeoutMs: number): Promise<void>;
  /** Streams one answer: deltas, then exactly one `done`; throws a typed error otherwise. `observer`
   * sees each event as the driver has it (and the end), before the consumer does. */
  answer(requestId: string, body: ChatRequestBody, signal: CancelSignal, turn?: ConversationTurn, observer?: QueueObserver<AnswerEvent>): AsyncIterable<AnswerEvent>;
  /** Polite request to exit (the process is signalled anyway). */
  shutdown(): void;
  /** An upstream server's own answer to another endpoint (/v1/embeddings, /v1/messages/count_tokens),
   * for a driver that talks HTTP to one (openai-http); absent → the driver has none. */
  forward?(path: string, body: string, signal: AbortSignal): Promise<Response>;
  /** The process is gone (`detail` says how): every pending answer fails with worker_crashed. */
  close(detail: string): void;
}

export interface Driver {
  readonly name: string;
  /** May be async: openai-http picks a free port for each spawn. */
  spawnSpec(): SpawnSpec | Promise<SpawnSpec>;
  attach(process: WorkerProcess, hooks: SessionHooks, spec: SpawnSpec): WorkerSession;
}
