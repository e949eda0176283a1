import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { killProcesses, processesMarked, testRunEnv } from './childProcesses.ts';
import { CLAUDE_QUIET_ENV, claudeHomePaths, withClaudeConfig, withClaudeSettings } from '@mission/worker';

const require = createRequire(import.meta.url);

/** The real Claude Code CLI installed as a devDependency (a native binary; Node is not involved). */
export const CLAUDE_BIN = path.join(path.dirname(require.resolve('@anthropic-ai/claude-code/package.json')), 'bin', 'claude.exe');

/** Any key will do for the stub; Claude Code remembers approval of a custom key by its last 20 characters. */
export const STUB_API_KEY = 'sk-ant-api03-mission-test-key-0123456789abcdefghij';

export interface ClaudeHome {
  home: string;
  /** Environment for the CLI: the throwaway HOME and the stub API, with updates and telemetry off. */
  env: Record<string, string>;
  /** Ends every process still using the home (a warm agent refilled, a claude orphaned by its killed parent), then deletes it. */
  remove(): Promise<void>;
}

type Json = Record<string, unknown>;

export interface ClaudeHomeOptions {
  apiUrl: string;
  trustedDirs: string[];
  /** How the CLI authenticates: the stub API key (default), nothing (it asks to log in), or an OAuth token (a subscriber). */
  auth?: 'api_key' | 'none' | 'oauth';
  /** Write these files as they are instead of the ones Mission prepares (a first run, a home half set up). */
  files?: { config: Json; settings: Json };
  /** The folder to prepare (a fault-harness machine's own HOME); a fresh one in the temp folder by default. */
  home?: string;
}

/**
 * A throwaway HOME prepared as a Mission worker prepares a slot's (services/worker/src/claudeHome.ts):
 * onboarding done, the API key approved, the given folders trusted, auto mode off — so the CLI starts
 * straight into its prompt against a stub API.
 */
export function prepareClaudeHome(options: ClaudeHomeOptions): ClaudeHome {
  const home = options.home ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mission-claude-home-'));
  const auth = options.auth ?? 'api_key';
  const apiKey = auth === 'api_key' ? STUB_API_KEY : undefined;
  const trustedDirs = options.trustedDirs.map((dir) => fs.realpathSync(dir));
  const files = options.files ?? { config: withClaudeConfig({}, { trustedDirs, apiKey }), settings: withClaudeSettings({}) };
  const paths = claudeHomePaths({ HOME: home });
  fs.mkdirSync(path.dirname(paths.settings), { recursive: true });
  fs.writeFileSync(paths.config, JSON.stringify(files.config, null, 2));
  fs.writeFileSync(paths.settings, JSON.stringify(files.settings, null, 2));
  return {
    home,
    env: {
      HOME: home,
      ANTHROPIC_BASE_URL: options.apiUrl,
      ...(apiKey ? { ANTHROPIC_API_KEY: apiKey } : {}),
      ...(auth === 'oauth' ? { CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-mission-stub-token' } : {}),
      ...CLAUDE_QUIET_ENV,
      // The run's markers: a claude left running is found and killed at its test file's end (tests/support/childProcesses.ts).
      ...testRunEnv(),
    },
    remove: async () => {
      // A claude still running writes into the home while it is deleted (ENOTEMPTY): the test's own processes end first.
      await killProcesses(processesMarked({ HOME: home }));
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/** What the CLI wrote of its cost as it exited (a transcript's `cost-state` record): its total, and its counters by model. */
export interface CostState {
  totalCostUSD: number;
  modelUsage: Record<string, Record<string, number>>;
}

/** The last `cost-state` record the CLI wrote into the transcript of Claude Code session `claudeSessionId` (undefined if none). */
export function lastCostState(home: ClaudeHome, claudeSessionId: string): CostState | undefined {
  return transcriptsOf(home, claudeSessionId)
    .flatMap((file) => fs.readFileSync(file, 'utf8').split('\n'))
    .filter((line) => line.includes('"cost-state"'))
    .map((line) => JSON.parse(line) as CostState)
    .at(-1);
}

/** The transcripts of Claude Code session `claudeSessionId` in a prepared home (one per project folder it ran in). */
export function transcriptsOf(home: ClaudeHome, claudeSessionId: string): string[] {
  const { projects } = claudeHomePaths(home.env);
  if (!fs.existsSync(projects)) return [];
  return fs
    .readdirSync(projects)
    .map((project) => path.join(projects, project, `${claudeSessionId}.jsonl`))
    .filter((file) => fs.existsSync(file));
}
