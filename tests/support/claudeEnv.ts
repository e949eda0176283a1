import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The real Claude Code CLI installed as a devDependency (a native binary; Node is not involved). */
export const CLAUDE_BIN = path.join(path.dirname(require.resolve('@anthropic-ai/claude-code/package.json')), 'bin', 'claude.exe');

/** Any key will do for the stub; Claude Code remembers approval of a custom key by its last 20 characters. */
export const STUB_API_KEY = 'sk-ant-api03-mission-test-key-0123456789abcdefghij';

export interface ClaudeHome {
  home: string;
  /** Environment for the CLI: the throwaway HOME and the stub API, with updates and telemetry off. */
  env: Record<string, string>;
  remove(): void;
}

/**
 * A throwaway HOME with the config Claude Code needs to start straight into its prompt against a stub
 * API: onboarding done, the API key approved, the given folders trusted, and permissions asked for
 * (`defaultMode: default`) rather than handled by auto mode.
 */
export function prepareClaudeHome(options: { apiUrl: string; trustedDirs: string[] }): ClaudeHome {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-claude-home-'));
  const projects = Object.fromEntries(
    options.trustedDirs.map((dir) => [fs.realpathSync(dir), { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true, allowedTools: [] }]),
  );
  const config = {
    hasCompletedOnboarding: true,
    lastOnboardingVersion: '2.1.331',
    theme: 'dark',
    numStartups: 1,
    customApiKeyResponses: { approved: [STUB_API_KEY.slice(-20)], rejected: [] },
    projects,
  };
  fs.writeFileSync(path.join(home, '.claude.json'), JSON.stringify(config, null, 2));
  fs.mkdirSync(path.join(home, '.claude'), { recursive: true });
  fs.writeFileSync(path.join(home, '.claude', 'settings.json'), JSON.stringify({ permissions: { defaultMode: 'default' }, disableAutoMode: 'disable' }, null, 2));
  return {
    home,
    env: {
      HOME: home,
      ANTHROPIC_BASE_URL: options.apiUrl,
      ANTHROPIC_API_KEY: STUB_API_KEY,
      DISABLE_AUTOUPDATER: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
    },
    remove: () => fs.rmSync(home, { recursive: true, force: true }),
  };
}
