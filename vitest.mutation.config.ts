import { defineConfig } from 'vitest/config';

// The tests Stryker runs against each mutant of machines/: the fast, in-process ones only (simulated
// clock, fake actors). LIFEGUARD_MUTATION_TESTS picks them: comma-separated globs, `!glob` excludes.
const globs = (process.env.LIFEGUARD_MUTATION_TESTS ?? 'test/machines/**/*.test.ts').split(',');

export default defineConfig({
  test: {
    include: globs.filter((glob) => !glob.startsWith('!')),
    exclude: globs.filter((glob) => glob.startsWith('!')).map((glob) => glob.slice(1)),
    testTimeout: 30_000,
  },
});
