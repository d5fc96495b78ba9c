import { describe, expect, it } from 'vitest';
import { crashBackoffMs } from '../../../machines/policy/backoff.js';

const policy = { backoffBaseMs: 1000, backoffMaxMs: 60_000, backoffJitterPct: 10 };

describe('crashBackoffMs', () => {
  it.each([
    [1, 0, 1000],
    [2, 0, 2000],
    [3, 0, 4000],
    [6, 0, 32_000],
    [7, 0, 60_000],
    [50, 0, 60_000],
    [2000, 0, 60_000],
    [1, 0.5, 1050],
    [1, 0.999, 1100],
    [7, 0.5, 63_000],
    [0, 0, 1000],
  ])('failure %i with random %f waits %i ms', (failures, random, expected) => {
    expect(crashBackoffMs(failures, policy, random)).toBe(expected);
  });

  it('no jitter configured means exactly the exponential figure', () => {
    expect(crashBackoffMs(4, { ...policy, backoffJitterPct: 0 }, 0.9)).toBe(8000);
  });
});
