/** Why the cutter ended the answer: a stop sequence was reached, or the length limit. */
export type CutReason = { kind: 'stop'; sequence: string } | { kind: 'length' };

export interface Cut {
  /** Text that may go to the client now. */
  text: string;
  /** Set once the answer is over: nothing after it may be sent. */
  reason?: CutReason;
}

// Cuts an answer's text as it streams (pure, no IO): before the first stop sequence, even one split
// across deltas, and at most `maxChars` characters. It holds back the last (longest stop − 1)
// characters until the next delta shows they begin no stop sequence.
export class StopCutter {
  readonly #stops: string[];
  readonly #holdBack: number;
  readonly #maxChars: number;
  #pending = '';
  #sent = 0;
  #over = false;

  constructor(stops: readonly string[], maxChars: number = Number.POSITIVE_INFINITY) {
    this.#stops = stops.filter((stop) => stop.length > 0);
    this.#holdBack = Math.max(0, ...this.#stops.map((stop) => stop.length - 1));
    this.#maxChars = maxChars;
  }

  get over(): boolean {
    return this.#over;
  }

  /** The next delta's text: what may be sent now, and why the answer ends if it does. */
  push(text: string): Cut {
    if (this.#over) return { text: '' };
    this.#pending += text;
    let first: { at: number; sequence: string } | null = null;
    for (const sequence of this.#stops) {
      const at = this.#pending.indexOf(sequence);
      if (at >= 0 && (!first || at < first.at)) first = { at, sequence };
    }
    if (first) return this.#limit(this.#pending.slice(0, first.at), { kind: 'stop', sequence: first.sequence });
    const ready = this.#pending.slice(0, Math.max(0, this.#pending.length - this.#holdBack));
    this.#pending = this.#pending.slice(ready.length);
    return this.#limit(ready);
  }

  /** The answer ended on its own: the text still held back. */
  flush(): Cut {
    if (this.#over) return { text: '' };
    const rest = this.#pending;
    this.#pending = '';
    return this.#limit(rest);
  }

  #limit(text: string, reason?: CutReason): Cut {
    const room = this.#maxChars - this.#sent;
    if (text.length > room) {
      this.#over = true;
      this.#sent = this.#maxChars;
      return { text: text.slice(0, room), reason: { kind: 'length' } };
    }
    this.#sent += text.length;
    if (reason) {
      this.#over = true;
      this.#pending = '';
      return { text, reason };
    }
    return { text };
  }
}
