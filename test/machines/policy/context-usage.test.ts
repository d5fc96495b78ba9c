import { describe, expect, it } from 'vitest';
import { contextLevel, contextPct } from '../../../machines/policy/context-usage.js';

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
