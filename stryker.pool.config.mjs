// Mutation testing of the pool statechart and its policy, against the pool's own fast tests (the
// worker machine's tests cannot catch a pool mutant, and running them for each would only cost time).
// Report in reports/mutation-pool/.
import base, { POOL } from './stryker.config.mjs';

process.env.LIFEGUARD_MUTATION_TESTS = ['test/machines/pool-*.test.ts', 'test/machines/policy/pool-*.test.ts', 'test/machines/purity.test.ts'].join(',');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  mutate: POOL,
  htmlReporter: { fileName: 'reports/mutation-pool/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation-pool/mutation.json' },
  tempDirName: '.stryker-tmp-pool',
};
