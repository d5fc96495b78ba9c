import { createHash, hash, type Hash } from 'node:crypto';

const WHITESPACE = /\s/;
const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
/** Text up to this many characters is kept and hashed in one call at the end (most answers). */
const BUFFERED_CHARS = 16 * 1024;

// SHA-256 of a text given in pieces, as it would be of the whole text: the same bytes as hashing the
// joined string (a surrogate pair split between pieces is joined first). With `trim`, it is the hash
// of the text trimmed as String.prototype.trim does, in O(1) memory: whitespace at the start is
// skipped, and whitespace at the end is kept in a copy of the hash until text follows it. A short text
// is only gathered and hashed once at the end: a one-shot hash costs a fraction of a Hash object.
// `prefix` is hashed before the text as it is (a message's digest hashes what precedes its text with it).
export class TextHash {
  /** The text so far while it is short; null once it is hashed as it comes. */
  #buffered: string | null = '';
  /** Everything up to the last non-whitespace character (or everything, without trim). */
  #committed: Hash | null = null;
  /** #committed plus the whitespace after it; null while there is none. */
  #withTail: Hash | null = null;
  #started = false;
  #carry = '';

  constructor(
    private readonly trim: boolean,
    private readonly bufferedChars = BUFFERED_CHARS,
    private readonly prefix = '',
  ) {}

  update(piece: string): this {
    if (this.#buffered !== null) {
      this.#buffered += piece;
      if (this.#buffered.length <= this.bufferedChars) return this;
      piece = this.#buffered;
      this.#buffered = null;
      this.#committed = createHash('sha256').update(this.prefix, 'utf8');
    }
    return this.#stream(piece);
  }

  #stream(piece: string): this {
    const committed = this.#committed!;
    let text = this.#carry + piece;
    this.#carry = '';
    if (text.length > 0 && isHighSurrogate(text.charCodeAt(text.length - 1))) {
      this.#carry = text.slice(-1);
      text = text.slice(0, -1);
    }
    if (!this.trim) {
      committed.update(text, 'utf8');
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
      const base = this.#withTail ?? committed;
      base.update(text.slice(0, end), 'utf8');
      this.#committed = base;
      this.#withTail = null;
    }
    if (end < text.length) (this.#withTail ??= this.#committed!.copy()).update(text.slice(end), 'utf8');
    return this;
  }

  digest(): string {
    if (this.#buffered !== null) return hash('sha256', this.prefix + (this.trim ? this.#buffered.trim() : this.#buffered));
    const carry = this.#carry;
    this.#carry = '';
    if (carry) {
      // A lone high surrogate at the very end is text, not whitespace: the whitespace before it counts.
      if (this.#withTail) this.#committed = this.#withTail;
      this.#withTail = null;
      this.#committed!.update(carry, 'utf8');
    }
    return this.#committed!.digest('hex');
  }
}

/** The hash of a whole text, as TextHash gives it for the same text in pieces. */
export const hashText = (text: string, trim: boolean) => hash('sha256', trim ? text.trim() : text);
