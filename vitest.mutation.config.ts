import { defineConfig } from 'vitest/config';

// The tests Stryker runs against each mutant of machines/: the fast, in-process ones only (simulated
// clock, fake actors). LIFEGUARD_MUTATION_TESTS narrows them, e.g. to the model-based test alone.
const include = (process.env.LIFEGUARD_MUTATION_TESTS ?? 'test/machines/**/*.test.ts').split(',');

export default defineConfig({
  test: {
    include,
    testTimeout: 30_000,
  },
});
