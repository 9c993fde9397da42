import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each test file runs in its own child process, so /proc/self/fd belongs to that file alone
    // and a crash in the addon fails one file instead of the runner.
    pool: 'forks',
    setupFiles: ['test/setup/fd-guard.ts'],
    // After the suite, no interface or named namespace the tests made is left.
    globalSetup: ['test/setup/leftovers.ts'],
    testTimeout: 30_000,
  },
});
