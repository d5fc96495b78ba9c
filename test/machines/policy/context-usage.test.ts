import { describe, expect, it } from 'vitest';
import { contextLevel, contextPct, reportChangesLevel } from '../../../machines/policy/context-usage.js';

const limits = { tokenLimit: 150_000, turnLimit: 10 };

describe('contextPct', () => {
  it.each([
    [{ tokens: 12_345, turns: 3 }, limits, { tokenPct: 8.2, turnPct: 30 }],
    [{ tokens: 0, turns: 0 }, limits, { tokenPct: 0, turnPct: 0 }],
    [{ tokens: 150_000, turns: 10 }, limits, { tokenPct: 100, turnPct: 100 }],
    [{ tokens: 500, turns: 2 }, { tokenLimit: 0, turnLimit: 0 }, { tokenPct: 0, turnPct: 0 }],
  ])('%o of %o is %o', (usage, l, expected) => {
    expect(contextPct(usage, l)).toEqual(expected);
  });
});

describe('contextLevel', () => {
  it.each([
    [{ tokens: 0, turns: 7 }, 'ok'],
    [{ tokens: 0, turns: 8 }, 'proactive'],
    [{ tokens: 119_999, turns: 0 }, 'ok'],
    [{ tokens: 120_000, turns: 0 }, 'proactive'],
    [{ tokens: 149_999, turns: 9 }, 'proactive'],
    [{ tokens: 150_000, turns: 0 }, 'hard'],
    [{ tokens: 0, turns: 10 }, 'hard'],
    [{ tokens: 0, turns: 12 }, 'hard'],
  ] as const)('%o at 80 %% is %s', (usage, expected) => {
    expect(contextLevel(usage, limits, 80)).toBe(expected);
  });

  it('a limit of 0 never triggers', () => {
    expect(contextLevel({ tokens: 10 ** 9, turns: 10 ** 6 }, { tokenLimit: 0, turnLimit: 0 }, 80)).toBe('ok');
  });
});

describe('reportChangesLevel: whether the worker machine must hear a context report now', () => {
  const known = { usage: { tokens: 100, turns: 2 }, limits: { tokenLimit: 1000, turnLimit: 10 } };
  it.each([
    ['more turns, still under the proactive threshold', { tokens: 200, turns: 7 }, false],
    ['the proactive threshold reached (8 of 10 turns)', { tokens: 200, turns: 8 }, true],
    ['the hard limit reached by tokens', { tokens: 1000, turns: 3 }, true],
    ['fewer tokens, same level (a compaction)', { tokens: 50, turns: 3 }, false],
    ['a token limit the machine does not hold yet', { tokens: 200, turns: 3, limits: { tokenLimit: 200_000 } }, true],
    ['a turn limit the machine does not hold yet', { tokens: 200, turns: 3, limits: { turnLimit: 50 } }, true],
    ['the limits it holds, said again', { tokens: 200, turns: 3, limits: { tokenLimit: 1000, turnLimit: 10 } }, false],
  ])('%s → %s', (_, report, expected) => {
    expect(reportChangesLevel(known, report, 80)).toBe(expected);
  });

  it('back below a threshold is a change too (a compaction out of the proactive zone)', () => {
    expect(reportChangesLevel({ ...known, usage: { tokens: 900, turns: 3 } }, { tokens: 100, turns: 3 }, 80)).toBe(true);
  });
});
