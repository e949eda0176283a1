import fs from 'node:fs';
import path from 'node:path';
import { withClaudeConfig, withClaudeSettings } from '@mission/worker';
import { STUB_API_KEY } from './claudeEnv.ts';
import { IDLE_FOOTER, type Scenario } from './scenarios.ts';
import type { StubReply } from './stubAnthropic.ts';

/**
 * The screens Claude Code shows before it will work, each reached by leaving one thing out of the
 * home Mission prepares (services/worker/src/claudeHome.ts) or by the API's answer. Recorded as
 * fixtures under first-run/ for the blocking-dialog parser (tests/blocking-dialog.test.ts).
 */
const prepared = (workdir: string) => ({
  config: withClaudeConfig({}, { trustedDirs: [workdir], apiKey: STUB_API_KEY }),
  settings: withClaudeSettings({}),
});

/**
 * The limit error a claude.ai subscriber's request gets when the 5-hour limit is used up (resets in two hours
 * unless told). Claude Code reads the reset from the `anthropic-ratelimit-unified-*` headers: headless, it prints
 * a `rate_limit_event` (`status: rejected`, `resetsAt`) and a result "You've hit your 5-hour limit · resets …"
 * with `api_error_status: 429` (tests/usage-limits.test.ts); interactively, the screens below.
 */
export function usageLimitError(resetsInSeconds = 2 * 3600): StubReply {
  const resetsAt = Math.ceil(Date.now() / 1000) + resetsInSeconds;
  return {
    error: {
      status: 429,
      type: 'rate_limit_error',
      message: "This request would exceed your account's rate limit. Please try again later.",
      headers: {
        'anthropic-ratelimit-unified-status': 'rejected',
        'anthropic-ratelimit-unified-reset': String(resetsAt),
        'anthropic-ratelimit-unified-representative-claim': 'five_hour',
      },
    },
  };
}

export const firstRunScenarios: Scenario[] = [
  {
    name: 'first-run/trust-folder',
    home: () => ({ files: { config: { hasCompletedOnboarding: true }, settings: withClaudeSettings({}) } }),
    prepare: () => {
      /* no reply to script: no prompt of this scenario reaches the model */
    },
    steps: [{ waitFor: ['Is this a project you created or one you trust?', 'Enter to confirm'], checkpoint: 'dialog' }],
  },
  {
    name: 'first-run/api-key',
    home: ({ workdir }) => ({ files: { config: withClaudeConfig({}, { trustedDirs: [workdir] }), settings: withClaudeSettings({}) } }),
    prepare: () => {
      /* no reply to script: no prompt of this scenario reaches the model */
    },
    steps: [{ waitFor: ['Do you want to use this API key?', 'Enter to confirm'], checkpoint: 'dialog' }],
  },
  {
    name: 'first-run/auto-mode-offer',
    // A user who chose manual permissions before auto mode became the default is offered the switch.
    home: ({ workdir }) => ({ files: { ...prepared(workdir), settings: { permissions: { defaultMode: 'default' } } } }),
    prepare: () => {
      /* no reply to script: no prompt of this scenario reaches the model */
    },
    steps: [{ waitFor: ['Make auto mode your default permission mode?', 'No, keep'], checkpoint: 'dialog' }],
  },
  {
    name: 'first-run/login-required',
    home: ({ workdir }) => ({ auth: 'none', files: prepared(workdir) }),
    prepare: () => {
      /* no reply to script: no prompt of this scenario reaches the model */
    },
    steps: [
      { waitFor: [IDLE_FOOTER], checkpoint: 'idle' },
      { send: 'hello' },
      { waitFor: ['Not logged in', IDLE_FOOTER], checkpoint: 'blocked' },
    ],
  },
  {
    name: 'first-run/mcp-server-approval',
    home: ({ workdir }) => ({ files: prepared(workdir) }),
    prepare: ({ workdir }) => addProjectMcpServer(workdir),
    steps: [{ waitFor: ['New MCP server found in this project', 'Enter to confirm'], checkpoint: 'dialog' }],
  },
  {
    // A folder not trusted yet, with a project MCP server: once the folder is trusted, the CLI asks about the server.
    name: 'first-run/trust-then-mcp',
    home: () => ({ files: { config: { hasCompletedOnboarding: true }, settings: withClaudeSettings({}) } }),
    prepare: ({ workdir }) => addProjectMcpServer(workdir),
    steps: [
      { waitFor: ['Is this a project you created or one you trust?', 'Enter to confirm'], checkpoint: 'trust' },
      // "Yes, I trust this folder": the second of a list without numbers.
      { answer: '2' },
      { waitFor: ['New MCP server found in this project', 'Enter to confirm'], checkpoint: 'mcp' },
    ],
  },
  {
    name: 'first-run/usage-limit',
    // Without automatic continuing, the CLI asks what to do.
    home: ({ workdir }) => ({
      auth: 'oauth',
      files: {
        config: withClaudeConfig({}, { trustedDirs: [workdir] }),
        settings: withClaudeSettings({ autoContinueAtUsageLimit: false }),
      },
    }),
    env: { CLAUDE_CODE_MAX_RETRIES: '0' },
    prepare: ({ stub }) => stub.respond((request) => (request.tools.length > 0 ? usageLimitError() : { text: 'side request' })),
    steps: [
      { waitFor: [IDLE_FOOTER], checkpoint: 'idle' },
      { send: 'hello' },
      { waitFor: ['What do you want to do?', 'Enter to confirm'], checkpoint: 'dialog' },
    ],
  },
  {
    name: 'first-run/usage-limit-wait',
    // With it (the default), the CLI waits for the reset and says so under the prompt.
    home: ({ workdir }) => ({
      auth: 'oauth',
      files: { config: withClaudeConfig({}, { trustedDirs: [workdir] }), settings: withClaudeSettings({}) },
    }),
    env: { CLAUDE_CODE_MAX_RETRIES: '0' },
    prepare: ({ stub }) => stub.respond((request) => (request.tools.length > 0 ? usageLimitError() : { text: 'side request' })),
    steps: [
      { waitFor: [IDLE_FOOTER], checkpoint: 'idle' },
      { send: 'hello' },
      { waitFor: ['Usage limit reached', 'Continuing automatically'], checkpoint: 'blocked' },
    ],
  },
];

/** A project MCP server (`notes`, in `.mcp.json`) the CLI asks about before it starts in `folder`: a dialog no hook reports. */
export function addProjectMcpServer(folder: string): void {
  const server = { command: 'node', args: ['-e', 'setInterval(() => {}, 1000)'] };
  fs.writeFileSync(path.join(folder, '.mcp.json'), JSON.stringify({ mcpServers: { notes: server } }));
}
