import { cliSandboxSettings, type RoleRules } from '@mission/contracts';
import type { AgentLauncher, AgentLaunchRequest } from '../agentProcess.ts';
import { CLAUDE_QUIET_ENV } from '../claudeHome.ts';
import { type CombinedLaunch, settingsArgs } from '../cliLaunch.ts';
import { ownTelemetrySetting } from '../hooks/hookSettings.ts';
import type { SlotRow } from '../runnableSlot.ts';
import type { PromptInput } from './headlessRunner.ts';

/**
 * What a task's agent is launched with in its slot: the same for a cold start and a warm agent, but for
 * how the prompt reaches it (a warm agent reads it as a stream-json message: it is started before the prompt is known).
 */
export function taskAgentRequest(
  slot: Pick<SlotRow, 'id' | 'model' | 'args' | 'cwd' | 'env'>,
  rules: Pick<RoleRules, 'deny' | 'sandbox'>,
  launch: CombinedLaunch,
  promptInput: PromptInput = 'text',
): AgentLaunchRequest {
  return {
    args: [...headlessArgs(slot.model, slot.args, rules, launch.settings, promptInput), ...launch.args],
    cwd: slot.cwd,
    slot: slot.id,
    slotEnv: slot.env,
    launchEnv: { ...launch.env, ...CLAUDE_QUIET_ENV },
  };
}

/** `settings`: Mission's own for the CLI (its hooks), given in one `--settings` with the role's sandbox. */
export function headlessArgs(
  model: string | null,
  extra: readonly string[],
  rules: Pick<RoleRules, 'deny' | 'sandbox'>,
  settings: Record<string, unknown>,
  promptInput: PromptInput = 'text',
): string[] {
  return [
    '-p',
    '--output-format',
    'stream-json',
    '--verbose',
    ...(promptInput === 'stream-json' ? ['--input-format', 'stream-json'] : []),
    ...(model ? ['--model', model] : []),
    // The role's deny rules, enforced by the CLI itself (its allow rules go in `--allowedTools` with the
    // tools Mission's own MCP servers allow: see combineLaunches), and its sandbox.
    ...(rules.deny.length > 0 ? ['--disallowedTools', ...rules.deny] : []),
    ...settingsArgs({ ...cliSandboxSettings(rules.sandbox), ...settings }),
    ...extra,
  ];
}

/**
 * A launch that starts its agent in the Claude session `claudeSessionId` (a new UUID of the worker's choosing): the
 * task's row gets the id with the write that notes its prompt delivered, before the CLI reports it.
 */
export function withClaudeSession<L extends { args: string[] }>(launch: L, claudeSessionId: string): L {
  return { ...launch, args: [...launch.args, '--session-id', claudeSessionId] };
}

/**
 * Whether a task's claude in `slot` reports its running cost to its worker (its metrics exports): not where the agent's
 * environment (the worker's it inherits, the slot's) sets up the CLI's telemetry itself, which Mission leaves alone.
 */
export function reportsCostTo(launcher: Pick<AgentLauncher, 'environment'>, slot: Pick<SlotRow, 'id' | 'env'>): boolean {
  return !ownTelemetrySetting(launcher.environment({ slot: slot.id, slotEnv: slot.env, launchEnv: {} }));
}
