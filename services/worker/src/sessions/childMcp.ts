import { type Database, mintSessionToken, roleInForce } from '@mission/shared';
import type { CliLaunch } from '../cliLaunch.ts';

/** The name Claude Code knows Mission's MCP server by: its tools are `mcp__mission__<tool>`. */
export const MISSION_MCP_SERVER = 'mission';

/** The variable the session's CLI reads its child token from: an argument would show it in the process table. */
export const CHILD_TOKEN_VARIABLE = 'MISSION_CHILD_TOKEN';

/**
 * What gives a session's agent Mission's MCP server: when its role has Mission tools, or when another
 * agent started it (so a call its role does not allow is refused in words it can read). A child token
 * bound to the session and limited to those tools goes in the CLI's environment, and the MCP config
 * names it (Claude Code expands `${VAR}` in MCP configs); tool uses of that server need no permission
 * dialog, since the token is what limits them.
 */
export async function childMcpLaunch(db: Database, session: { id: string; parentId: string | null; role: string }, apiUrl: string): Promise<CliLaunch> {
  const { rules } = await roleInForce(db, session.role);
  if (rules.missionTools.length === 0 && !session.parentId) return { args: [], env: {} };
  const token = await mintSessionToken(db, { id: session.id, role: session.role, tools: rules.missionTools });
  return {
    args: ['--mcp-config', JSON.stringify(missionMcpConfig(apiUrl)), '--allowedTools', `mcp__${MISSION_MCP_SERVER}`],
    env: { [CHILD_TOKEN_VARIABLE]: token },
  };
}

/** Claude Code's MCP config (`--mcp-config` takes it as a JSON string) for Mission's server over HTTP, with the token's variable. */
function missionMcpConfig(apiUrl: string): { mcpServers: Record<string, unknown> } {
  return { mcpServers: { [MISSION_MCP_SERVER]: { type: 'http', url: `${apiUrl}/mcp`, headers: { Authorization: `Bearer \${${CHILD_TOKEN_VARIABLE}}` } } } };
}
