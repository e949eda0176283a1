import os from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'tests/**/*.test.ts'],
    // reapRun last: its teardown (run first) kills what test files left running before the databases are dropped.
    globalSetup: ['tests/support/globalSetup.ts', 'tests/support/reapRun.ts'],
    setupFiles: ['tests/support/reapEachFile.ts', 'tests/support/stubChecks.ts'],
    pool: 'forks',
    // A fork runs its test files one after another on the modules it loaded once: each file loading Mission's modules
    // again took 249 s of a 1,136 s run (1.5–4 s a file). A file leaves no state in a module for the next (each system
    // a test starts has its own database, queue prefix, ports and directories); reapEachFile still kills what a file
    // left running when it ends (docs/development.md).
    isolate: false,
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    // Agents run as the user running the tests (root on some machines, where a worker would otherwise switch to
    // `mission-agent`); tests/agent-separation.test.ts and tests/hostile-agent.test.ts run them as users of their own.
    env: { MISSION_AGENT_USER: os.userInfo().username },
  },
});
