// Splits a byte stream into lines across chunk boundaries. A line longer than maxBytes is dropped
// (reported once, with its length so far) and reading resumes at the next newline.
export function createLineSplitter(
  maxBytes: number,
  onLine: (line: string) => void,
  onOverlong: (bytesSoFar: number) => void,
): { push(chunk: Buffer | string): void; flush(): void } {
  let parts: Buffer[] = [];
  let length = 0;
  let skipping = false;

  const push = (input: Buffer | string) => {
    let chunk = typeof input === 'string' ? Buffer.from(input) : input;
    while (chunk.length > 0) {
      const newline = chunk.indexOf(0x0a);
      const piece = newline === -1 ? chunk : chunk.subarray(0, newline);
      if (!skipping) {
        if (length + piece.length > maxBytes) {
          skipping = true;
          onOverlong(length + piece.length);
          parts = [];
          length = 0;
        } else {
          parts.push(piece);
          length += piece.length;
        }
      }
      if (newline === -1) return;
      if (!skipping) {
        const line = Buffer.concat(parts, length).toString('utf8').replace(/\r$/, '');
        parts = [];
        length = 0;
        onLine(line);
      }
      skipping = false;
      chunk = chunk.subarray(newline + 1);
    }
  };

  const flush = () => {
    if (!skipping && length > 0) onLine(Buffer.concat(parts, length).toString('utf8'));
    parts = [];
    length = 0;
    skipping = false;
  };

  return { push, flush };
}
