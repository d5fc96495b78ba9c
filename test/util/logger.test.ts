import { describe, expect, it } from 'vitest';
import { createLogger, levelOf, type LogMarker } from '../../src/util/logger.js';

describe('log lines', () => {
  it('text: a greppable [MARKER] then the message and key=value fields', () => {
    const lines: string[] = [];
    createLogger('text', (l) => lines.push(l)).log('DONE', '2.3s | ctx=12345/150000 turns=3/10', { worker: 'w1', skipped: null });
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z \[DONE\] 2\.3s \| ctx=12345\/150000 turns=3\/10 worker=w1\n$/);
  });

  it('json: one object per line with ts, a standard level, the marker as its own field, and msg', () => {
    const lines: string[] = [];
    createLogger('json', (l) => lines.push(l)).log('OFFLINE', 'w1 offline', { worker: 'w1' });
    expect(JSON.parse(lines[0]!)).toEqual({ ts: expect.any(String), level: 'error', marker: 'OFFLINE', msg: 'w1 offline', worker: 'w1' });
    expect(lines[0]!.endsWith('\n')).toBe(true);
  });

  it('a field cannot overwrite the level, the marker or the message', () => {
    const lines: string[] = [];
    createLogger('json', (l) => lines.push(l)).log('WARN', 'careful', { level: 'debug', marker: 'X', msg: 'other', reason: 'r' });
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn', marker: 'WARN', msg: 'careful', reason: 'r' });
  });

  it.each([
    ['DONE', 'info'],
    ['INFO', 'info'],
    ['PROACTIVE', 'info'],
    ['RESTART', 'info'],
    ['STDERR', 'info'],
    ['STDOUT', 'info'],
    ['RECOVERY', 'warn'],
    ['WARN', 'warn'],
    ['OFFLINE', 'error'],
    ['ERROR', 'error'],
    ['DEBUG', 'debug'],
  ] as const)('[%s] is level %s', (marker: LogMarker, level) => {
    expect(levelOf[marker]).toBe(level);
  });
});
