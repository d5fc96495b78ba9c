import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFdSink } from '../../src/util/stderr-sink.js';

describe('the log sink', () => {
  it('a burst of lines arrives whole and in order, and drained() waits for the last of them', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'lifeguard-sink-')), 'log');
    const fd = openSync(path, 'w');
    try {
      const sink = createFdSink(fd);
      const lines = Array.from({ length: 2000 }, (_, i) => `line ${i} ${'x'.repeat(i % 50)}\n`);
      for (const line of lines) sink.write(line);
      await sink.drained(10_000);
      expect(readFileSync(path, 'utf8')).toBe(lines.join(''));
      sink.write('one more\n');
      await sink.drained(10_000);
      expect(readFileSync(path, 'utf8').endsWith('one more\n')).toBe(true);
    } finally {
      closeSync(fd);
    }
  });

  it('past its bound, lines are dropped and counted, and the count is written once the backlog is gone', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'lifeguard-sink-')), 'log');
    const fd = openSync(path, 'w');
    try {
      const sink = createFdSink(fd, 100);
      for (let i = 0; i < 20; i++) sink.write(`line number ${i}\n`);
      await sink.drained(10_000);
      const written = readFileSync(path, 'utf8');
      expect(written.startsWith('line number 0\n')).toBe(true);
      expect(written).toMatch(/\[WARN\] \d+ log line\(s\) dropped: the log reader was not keeping up\n$/);
    } finally {
      closeSync(fd);
    }
  });
});
