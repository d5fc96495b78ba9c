// A FIFO of strings that counts its UTF-8 bytes. Taking from the front is O(1) (a moving head,
// compacted now and then), so draining a long backlog is linear, never quadratic.
export class TextBacklog {
  private items: Array<string | undefined> = [];
  private head = 0;
  bytes = 0;

  push(text: string): void {
    this.items.push(text);
    this.bytes += Buffer.byteLength(text);
  }

  shift(): string | undefined {
    if (this.head >= this.items.length) return undefined;
    const text = this.items[this.head]!;
    this.items[this.head++] = undefined;
    this.bytes -= Buffer.byteLength(text);
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
