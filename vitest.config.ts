import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Hang guards, not speed limits: a test waits on events, and these only end one that never comes.
    // They are wide because a loaded two-core machine (npm run test:stress) makes a process start take
    // tens of seconds.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    expect: { poll: { timeout: 30_000 } },
    // Process-level tests spawn real workers; two cores, so keep files from starving each other.
    maxWorkers: 2,
    globalSetup: ['test/global-setup.ts'],
  },
});
