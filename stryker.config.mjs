// Mutation testing of the worker statechart and its policy: `npm run test:mutation` runs this, then
// stryker.pool.config.mjs for the pool. Each fails below 90 % killed.
// The report: reports/mutation/mutation.html (and the clear-text table printed at the end).
const POOL = ['machines/pool-*.ts', 'machines/policy/pool-*.ts'];
/** The models' parent machine and its policy: stryker.models.config.mjs. */
const MODELS = ['machines/models-*.ts', 'machines/policy/models-*.ts'];

process.env.LIFEGUARD_MUTATION_TESTS ??= ['test/machines/**/*.test.ts', '!test/machines/pool-*.test.ts', '!test/machines/policy/pool-*.test.ts', '!test/machines/models-*.test.ts', '!test/machines/policy/models-*.test.ts'].join(',');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  mutate: ['machines/**/*.ts', ...[...POOL, ...MODELS].map((glob) => `!${glob}`)],
  coverageAnalysis: 'perTest',
  concurrency: 2,
  thresholds: { high: 95, low: 90, break: 90 },
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  ignorePatterns: ['dist', 'test-output', 'reports', 'bench', 'docs', '.stryker-tmp*'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};

export { MODELS, POOL };
