/**
 * What one part of Mission adds to a `claude` process: MCP servers, tools it may use unasked, settings (each part its
 * own keys, such as `hooks`), other arguments, and environment. Secrets go in `env` and the MCP config and the hooks'
 * headers name them as `${VAR}` (Claude Code expands them): the process table shows every user a process's
 * arguments, not its environment.
 */
export interface CliLaunch {
  mcpServers: Record<string, unknown>;
  allowedTools: string[];
  settings: Record<string, unknown>;
  args: string[];
  env: Record<string, string>;
}

export const NOTHING_TO_LAUNCH: CliLaunch = { mcpServers: {}, allowedTools: [], settings: {}, args: [], env: {} };

/** {@link combineLaunches}' answer: the settings are the caller's to put in the one `--settings` it gives the CLI. */
export interface CombinedLaunch {
  args: string[];
  env: Record<string, string>;
  settings: Record<string, unknown>;
}

/**
 * The arguments, settings and environment of several launches together: one `--mcp-config` with every server and
 * one `--allowedTools` (after `allowed`, e.g. a role's allow rules), since the CLI takes each once.
 */
export function combineLaunches(launches: readonly CliLaunch[], allowed: readonly string[] = []): CombinedLaunch {
  const mcpServers = Object.assign({}, ...launches.map((launch) => launch.mcpServers)) as Record<string, unknown>;
  const allowedTools = [...allowed, ...launches.flatMap((launch) => launch.allowedTools)];
  return {
    args: [
      ...(Object.keys(mcpServers).length > 0 ? ['--mcp-config', JSON.stringify({ mcpServers })] : []),
      ...(allowedTools.length > 0 ? ['--allowedTools', ...allowedTools] : []),
      ...launches.flatMap((launch) => launch.args),
    ],
    env: Object.assign({}, ...launches.map((launch) => launch.env)) as Record<string, string>,
    settings: Object.assign({}, ...launches.map((launch) => launch.settings)) as Record<string, unknown>,
  };
}

/** `--settings <json>` for settings that say anything; nothing for `{}`. */
export function settingsArgs(settings: object): string[] {
  return Object.keys(settings).length > 0 ? ['--settings', JSON.stringify(settings)] : [];
}
