import type { AnswerEvent } from '../drivers/driver.js';
import { AnswerTooLargeError } from '../errors.js';

// Counts the bytes of an answer that lifeguard holds whole (its text and its tool calls' arguments) and
// throws AnswerTooLargeError once they pass max_answer_bytes: no answer grows one string without bound.
export class AnswerSize {
  #bytes = 0;

  constructor(readonly limitBytes: number) {}

  add(event: AnswerEvent): void {
    if (event.type === 'delta') this.#bytes += Buffer.byteLength(event.content);
    else if (event.type === 'tool_call') this.#bytes += Buffer.byteLength(event.call.function?.arguments ?? '');
    if (this.#bytes > this.limitBytes) throw new AnswerTooLargeError(this.limitBytes);
  }
}
