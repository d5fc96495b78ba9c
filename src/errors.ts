// Typed errors, one class per kind; the Hono app maps each kind to OpenAI's error body.
export type ErrorKind =
  | 'invalid_request'
  | 'unauthorized'
  | 'not_found'
  | 'conflict'
  | 'forbidden'
  | 'conversation_lost'
  | 'body_too_large'
  | 'worker_offline'
  | 'queue_full'
  | 'queue_timeout'
  | 'worker_crashed'
  | 'worker_error'
  | 'request_timeout'
  | 'cancelled'
  | 'client_too_slow'
  | 'answer_too_large'
  | 'shutting_down'
  | 'invalid_structured_output'
  | 'model_not_found';

export abstract class LifeguardError extends Error {
  abstract readonly kind: ErrorKind;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class InvalidRequestError extends LifeguardError {
  readonly kind = 'invalid_request' as const;
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

export class UnauthorizedError extends LifeguardError {
  readonly kind = 'unauthorized' as const;
}

export class NotFoundError extends LifeguardError {
  readonly kind = 'not_found' as const;
}

/** An admin command the worker's current state does not take (recover a worker that is not offline). */
export class ConflictError extends LifeguardError {
  readonly kind = 'conflict' as const;
}

/** An admin call that may not come this way (through a proxy, without an admin token). */
export class ForbiddenError extends LifeguardError {
  readonly kind = 'forbidden' as const;
}

/** A conversation continued by its session key alone whose process is gone: its history is too. */
export class ConversationLostError extends LifeguardError {
  readonly kind = 'conversation_lost' as const;
  readonly field = 'messages';
  constructor(readonly keyHash: string) {
    super(
      `The conversation of session key ${keyHash} (the first 8 hex digits of its SHA-256) is no longer held: the process that held it ended (a crash, a restart or a recycle) and its history with it. This request carries only new messages; send the whole history (every earlier message, the assistant's answers included) with the same key, or start a new conversation under a new key`,
    );
  }
}

export class BodyTooLargeError extends LifeguardError {
  readonly kind = 'body_too_large' as const;
  constructor(readonly limitBytes: number) {
    super(`Request body exceeds the limit of ${limitBytes} bytes`);
  }
}

export class WorkerOfflineError extends LifeguardError {
  readonly kind = 'worker_offline' as const;
  constructor() {
    super('Worker offline - manual restart required');
  }
}

export class QueueFullError extends LifeguardError {
  readonly kind = 'queue_full' as const;
  constructor(readonly size: number, readonly retryAfterS: number) {
    super(`The request queue is full (${size} waiting); retry later`);
  }
}

export class QueueTimeoutError extends LifeguardError {
  readonly kind = 'queue_timeout' as const;
  constructor(readonly waitedMs: number, readonly retryAfterS: number) {
    super(`No worker became available within ${waitedMs} ms; retry later`);
  }
}

/** The worker process ended while it held the request. `answerStarted`: a delta had been received. */
export class WorkerCrashedError extends LifeguardError {
  readonly kind = 'worker_crashed' as const;
  constructor(readonly workerId: string, readonly answerStarted: boolean, detail: string) {
    super(`Worker ${workerId} ${detail} while answering the request`);
  }
}

export class WorkerRequestError extends LifeguardError {
  readonly kind = 'worker_error' as const;
  constructor(message: string, readonly retryable: boolean) {
    super(message);
  }
}

export class RequestTimeoutError extends LifeguardError {
  readonly kind = 'request_timeout' as const;
}

export class RequestCancelledError extends LifeguardError {
  readonly kind = 'cancelled' as const;
}

export class ShuttingDownError extends LifeguardError {
  readonly kind = 'shutting_down' as const;
  constructor() {
    super('lifeguard is shutting down');
  }
}

/** A stream client fell more than stream_buffer_bytes behind the worker: its request is cancelled. */
export class ClientTooSlowError extends LifeguardError {
  readonly kind = 'client_too_slow' as const;
  constructor(readonly limitBytes: number, readonly setting: 'stream_buffer_bytes' | 'stream_budget_bytes' = 'stream_buffer_bytes') {
    super(
      setting === 'stream_buffer_bytes'
        ? `The client read the stream too slowly: more than ${limitBytes} bytes (stream_buffer_bytes) were waiting for it; the request was cancelled`
        : `The client read the stream too slowly: more than ${limitBytes} bytes (stream_budget_bytes) were waiting for slow stream clients together, and this one was among the furthest behind; the request was cancelled`,
    );
  }
}

/** An answer lifeguard would have to hold whole (not streamed, or kept for a feature) grew past max_answer_bytes. */
export class AnswerTooLargeError extends LifeguardError {
  readonly kind = 'answer_too_large' as const;
  constructor(readonly limitBytes: number) {
    super(`The worker's answer grew past ${limitBytes} bytes (max_answer_bytes), more than lifeguard holds in memory for one answer; the worker's turn was cancelled (ask for a stream, or raise max_answer_bytes)`);
  }
}

/** The answer broke the request's `response_format`, even after one corrective turn. */
export class StructuredOutputError extends LifeguardError {
  readonly kind = 'invalid_structured_output' as const;
  readonly field = 'response_format';
}

/** The request's `model` names no configured model or alias (OpenAI's `model_not_found`). */
export class ModelNotFoundError extends LifeguardError {
  readonly kind = 'model_not_found' as const;
  readonly field = 'model';
  constructor(readonly model: string, known: string[]) {
    super(`The model "${model}" does not exist (known: ${known.join(', ')})`);
  }
}
