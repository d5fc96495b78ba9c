import { describe, expect, it } from 'vitest';
import { insideWindow, recordInWindow } from '../../../machines/policy/sliding-window.js';

describe('insideWindow', () => {
  it.each([
    [[0, 10, 59_999], 60_000, [10, 59_999]],
    [[0, 10, 59_999], 60_010, [59_999]],
    [[], 5, []],
    [[5], 5, [5]],
  ])('%o at %i keeps %o', (stamps, now, expected) => {
    expect(insideWindow(stamps, now, 60_000)).toEqual(expected);
  });
});

describe('recordInWindow', () => {
  it.each([
    [9, false],
    [10, true],
    [11, true],
  ])('with %i events already inside, the next one exceeds a budget of 10: %s', (already, exceeded) => {
    const stamps = Array.from({ length: already }, (_, i) => i * 1000);
    expect(recordInWindow(stamps, 30_000, 60_000, 10).exceeded).toBe(exceeded);
  });

  it('forgets what slid out of the window', () => {
    const stamps = Array.from({ length: 10 }, (_, i) => i * 1000);
    const result = recordInWindow(stamps, 65_000, 60_000, 10);
    expect(result).toEqual({ timestamps: [6000, 7000, 8000, 9000, 65_000], exceeded: false });
  });
});
