import { describe, expect, it } from 'vitest';
import { nextRandom } from '../../../machines/policy/random.js';

describe('nextRandom (mulberry32)', () => {
  it('gives mulberry32’s published sequence for seed 1, and advances the seed each draw', () => {
    const first = nextRandom(1);
    const second = nextRandom(first.seed);
    const third = nextRandom(second.seed);
    expect([first, second, third]).toEqual([
      { value: 0.6270739405881613, seed: 1831565814 },
      { value: 0.002735721180215478, seed: -631835669 },
      { value: 0.5274470399599522, seed: 1199730144 },
    ]);
  });

  it('stays in [0, 1)', () => {
    let seed = 42;
    for (let i = 0; i < 1000; i++) {
      const draw = nextRandom(seed);
      expect(draw.value).toBeGreaterThanOrEqual(0);
      expect(draw.value).toBeLessThan(1);
      seed = draw.seed;
    }
  });
});
