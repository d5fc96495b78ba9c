const NEWLINE = 0x0a;
const CR = 0x0d;

/** How much of an over-long line's start is handed to onOverlong (enough for its type and id). */
export const OVERLONG_HEAD_BYTES = 512;

// Splits a byte stream into lines across chunk boundaries. A line longer than maxBytes is dropped
// (reported once, with its length so far and its first bytes) and reading resumes at the next newline. A line that lies
// whole in one chunk is decoded straight from it; only a line split across chunks is joined first.
export function createLineSplitter(
  maxBytes: number,
  onLine: (line: string) => void,
  onOverlong: (bytesSoFar: number, head: string) => void,
): { push(chunk: Buffer | string): void; flush(): void } {
  let parts: Buffer[] = [];
  let length = 0;
  let skipping = false;

  const emit = (bytes: Buffer, start: number, end: number) => {
    onLine(bytes.toString('utf8', start, end > start && bytes[end - 1] === CR ? end - 1 : end));
  };

  const push = (input: Buffer | string) => {
    const chunk = typeof input === 'string' ? Buffer.from(input) : input;
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline;
      if (!skipping) {
        if (length + end - start > maxBytes) {
          skipping = true;
          const head = Buffer.concat([...parts, chunk.subarray(start, end)].slice(0, 2)).subarray(0, OVERLONG_HEAD_BYTES);
          onOverlong(length + end - start, head.toString('utf8'));
          parts = [];
          length = 0;
        } else if (newline !== -1 && length === 0) {
          emit(chunk, start, end);
        } else {
          parts.push(chunk.subarray(start, end));
          length += end - start;
        }
      }
      if (newline === -1) return;
      if (!skipping && length > 0) {
        const line = Buffer.concat(parts, length);
        parts = [];
        length = 0;
        emit(line, 0, line.length);
      }
      skipping = false;
      start = newline + 1;
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
