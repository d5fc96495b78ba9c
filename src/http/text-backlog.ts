// A FIFO of strings that counts its UTF-8 bytes. Taking from the front is O(1) (a moving head,
// compacted now and then), so draining a long backlog is linear, never quadratic. `onChange` hears
// every change of its byte count (a global budget sums the backlogs of every stream).
export class TextBacklog {
  private items: Array<string | undefined> = [];
  private head = 0;
  bytes = 0;

  constructor(private readonly onChange: (delta: number) => void = () => undefined) {}

  push(text: string): void {
    const size = Buffer.byteLength(text);
    this.items.push(text);
    this.bytes += size;
    this.onChange(size);
  }

  /** Drops everything still waiting. */
  clear(): void {
    const dropped = this.bytes;
    this.items = [];
    this.head = 0;
    this.bytes = 0;
    if (dropped > 0) this.onChange(-dropped);
  }

  shift(): string | undefined {
    if (this.head >= this.items.length) return undefined;
    const text = this.items[this.head]!;
    this.items[this.head++] = undefined;
    const size = Buffer.byteLength(text);
    this.bytes -= size;
    this.onChange(-size);
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return text;
  }

  get length(): number {
    return this.items.length - this.head;
  }
}
