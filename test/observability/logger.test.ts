import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';

describe('log lines', () => {
  it('text: a greppable [MARKER] then the message and key=value fields', () => {
    const lines: string[] = [];
    createLogger('text', (l) => lines.push(l)).log('DONE', '2.3s | ctx=12345/150000 turns=3/10', { worker: 'w1', skipped: null });
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z \[DONE\] 2\.3s \| ctx=12345\/150000 turns=3\/10 worker=w1\n$/);
  });

  it('json: one object per line with ts, level and msg', () => {
    const lines: string[] = [];
    createLogger('json', (l) => lines.push(l)).log('OFFLINE', 'w1 offline', { worker: 'w1' });
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'offline', msg: 'w1 offline', worker: 'w1', ts: expect.any(String) });
    expect(lines[0]!.endsWith('\n')).toBe(true);
  });
});
