// Mutation testing of the models' parent statechart and its policy (issue #27), against their own fast
// tests. Report in reports/mutation-models/.
import base, { MODELS } from './stryker.config.mjs';

process.env.LIFEGUARD_MUTATION_TESTS = ['test/machines/models-*.test.ts', 'test/machines/policy/models-*.test.ts', 'test/machines/purity.test.ts'].join(',');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  mutate: MODELS,
  htmlReporter: { fileName: 'reports/mutation-models/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation-models/mutation.json' },
  tempDirName: '.stryker-tmp-models',
};
