// The model-based test alone against the same mutants: `npm run test:mutation:model`.
// It shows how much the model catches by itself (its own bar is 70 %); report in reports/mutation-model/.
import base from './stryker.config.mjs';

process.env.LIFEGUARD_MUTATION_TESTS = 'test/machines/worker-machine.model.test.ts';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  thresholds: { high: 80, low: 70, break: 70 },
  htmlReporter: { fileName: 'reports/mutation-model/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation-model/mutation.json' },
  tempDirName: '.stryker-tmp-model',
};
