import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLAUDE_BIN, type ClaudeHome, prepareClaudeHome } from './claudeEnv.ts';
import { startStress, type Stress } from './stress.ts';
import { startStubAnthropic, type StubAnthropic } from './stubAnthropic.ts';
import { startTestSystem, type TestSystem, type TestSystemOptions } from './system.ts';

/** The whole system running the real claude CLI against a stub API, with a `default` slot in a fresh folder. */
export interface ClaudeTestBed {
  stub: StubAnthropic;
  claude: ClaudeHome;
  /** The `default` slot's working directory (trusted in the claude home). */
  workdir: string;
  system: TestSystem;
  /** The conditions MISSION_TEST_STRESS asks for (CPU load, claude paused in bursts), if any. */
  stress: Stress | undefined;
  close(): Promise<void>;
}

export async function startClaudeTestBed(
  options: Pick<TestSystemOptions, 'database' | 'inProcessWorker' | 'env'> & {
    /** Warm agents for the `default` slot (its `warmPool`); none by default. */
    warmPool?: { size: number; idleSeconds?: number };
  } = {},
): Promise<ClaudeTestBed> {
  const stub = await startStubAnthropic();
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-work-'));
  const claude = prepareClaudeHome({ apiUrl: stub.url, trustedDirs: [workdir] });
  const { warmPool, ...systemOptions } = options;
  const system = await startTestSystem({
    ...systemOptions,
    env: { MISSION_CLAUDE_BIN: CLAUDE_BIN, ...options.env },
    slots: { default: { cwd: workdir, env: claude.env, ...(warmPool ? { warmPool } : {}) } },
  });
  const stress = startStress(workdir);
  return {
    stub,
    claude,
    workdir,
    system,
    stress,
    async close() {
      await stress?.stop();
      await system.close();
      await stub.close();
      await claude.remove();
      fs.rmSync(workdir, { recursive: true, force: true });
    },
  };
}
