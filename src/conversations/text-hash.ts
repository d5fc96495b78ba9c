import { createHash, type Hash } from 'node:crypto';

const WHITESPACE = /\s/;
const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

// SHA-256 of a text given in pieces, as it would be of the whole text: the same bytes as hashing the
// joined string (a surrogate pair split between pieces is joined first). With `trim`, it is the hash
// of the text trimmed as String.prototype.trim does, in O(1) memory: whitespace at the start is
// skipped, and whitespace at the end is kept in a copy of the hash until text follows it.
export class TextHash {
  /** Everything up to the last non-whitespace character (or everything, without trim). */
  #committed: Hash = createHash('sha256');
  /** #committed plus the whitespace after it; null while there is none. */
  #withTail: Hash | null = null;
  #started = false;
  #carry = '';

  constructor(private readonly trim: boolean) {}

  update(piece: string): this {
    let text = this.#carry + piece;
    this.#carry = '';
    if (text.length > 0 && isHighSurrogate(text.charCodeAt(text.length - 1))) {
      this.#carry = text.slice(-1);
      text = text.slice(0, -1);
    }
    if (!this.trim) {
      this.#committed.update(text, 'utf8');
      return this;
    }
    if (!this.#started) {
      let start = 0;
      while (start < text.length && WHITESPACE.test(text[start]!)) start++;
      if (start === text.length) return this;
      this.#started = true;
      text = text.slice(start);
    }
    let end = text.length;
    while (end > 0 && WHITESPACE.test(text[end - 1]!)) end--;
    if (end > 0) {
      const base = this.#withTail ?? this.#committed;
      base.update(text.slice(0, end), 'utf8');
      this.#committed = base;
      this.#withTail = null;
    }
    if (end < text.length) (this.#withTail ??= this.#committed.copy()).update(text.slice(end), 'utf8');
    return this;
  }

  digest(): string {
    const carry = this.#carry;
    this.#carry = '';
    if (carry) {
      // A lone high surrogate at the very end is text, not whitespace: the whitespace before it counts.
      if (this.#withTail) this.#committed = this.#withTail;
      this.#withTail = null;
      this.#committed.update(carry, 'utf8');
    }
    return this.#committed.digest('hex');
  }
}

/** The hash of a whole text, as TextHash gives it for the same text in pieces. */
export const hashText = (text: string, trim: boolean) => new TextHash(trim).update(text).digest();
