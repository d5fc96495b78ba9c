import type { AnswerEvent, ChatRequestBody, ConversationTurn, WorkerSession } from '../drivers/driver.js';
import { WorkerCrashedError } from '../errors.js';
import type { DigestToolCall } from '../conversations/conversation-digest.js';

export interface StreamAnswerOptions {
  /** The session of the run that took the request, or null when its process is already gone. */
  session(): WorkerSession | null;
  workerId: string;
  requestId: string;
  body: ChatRequestBody;
  signal: AbortSignal;
  turn: ConversationTurn | undefined;
  /** Gives the lease back (exactly once, however the answer ends). */
  finish(ok: boolean): void;
  /** The whole answer, once it is done: the pool remembers the conversation. */
  answered(answer: { content: string; toolCalls: DigestToolCall[] }): void;
}

async function* events(options: StreamAnswerOptions): AsyncGenerator<AnswerEvent> {
  try {
    const session = options.session();
    if (!session) throw new WorkerCrashedError(options.workerId, false, 'exited');
    let content = '';
    // Tool calls by index, their argument pieces appended: the answer's digest includes them.
    const calls = new Map<number, DigestToolCall>();
    for await (const event of session.answer(options.requestId, options.body, options.signal, options.turn)) {
      if (event.type === 'delta') content += event.content;
      else if (event.type === 'tool_call') {
        const call = calls.get(event.call.index) ?? { id: '', name: '', arguments: '' };
        call.id ||= event.call.id ?? '';
        call.name ||= event.call.function?.name ?? '';
        call.arguments += event.call.function?.arguments ?? '';
        calls.set(event.call.index, call);
      } else {
        // A consumer may stop iterating right after `done`: the slot is free from here.
        options.answered({ content, toolCalls: [...calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call) });
        options.finish(true);
      }
      yield event;
    }
  } finally {
    options.finish(false);
  }
}

// A worker's answer as an iterable whose return() gives the lease back even if iteration never
// began (a generator's `finally` runs only once it has started).
export function streamAnswer(options: StreamAnswerOptions): AsyncIterable<AnswerEvent> {
  const generator = events(options);
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => generator.next(),
      return: async () => {
        options.finish(false);
        return generator.return(undefined);
      },
    }),
  };
}
