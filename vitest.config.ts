import os from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'tests/**/*.test.ts'],
    // reapRun last: its teardown (run first) kills what test files left running before the databases are dropped.
    globalSetup: ['tests/support/globalSetup.ts', 'tests/support/reapRun.ts'],
    setupFiles: ['tests/support/reapEachFile.ts', 'tests/support/stubChecks.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    // Agents run as the user running the tests (root on some machines, where a worker would otherwise switch to
    // `mission-agent`); tests/agent-separation.test.ts and tests/hostile-agent.test.ts run them as users of their own.
    env: { MISSION_AGENT_USER: os.userInfo().username },
  },
});
