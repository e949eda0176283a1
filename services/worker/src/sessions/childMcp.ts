import { type Database, mintSessionToken, roleInForce } from '@mission/shared';

/** The name Claude Code knows Mission's MCP server by: its tools are `mcp__mission__<tool>`. */
export const MISSION_MCP_SERVER = 'mission';

/**
 * The CLI arguments that give a session's agent Mission's MCP server: when its role has Mission tools,
 * or when another agent started it (so a call its role does not allow is refused in words it can read).
 * A child token bound to the session and limited to those tools goes in the MCP config; tool uses of
 * that server need no permission dialog, since the token is what limits them.
 */
export async function childMcpArgs(db: Database, session: { id: string; parentId: string | null; role: string }, apiUrl: string): Promise<string[]> {
  const { rules } = await roleInForce(db, session.role);
  if (rules.missionTools.length === 0 && !session.parentId) return [];
  const token = await mintSessionToken(db, { id: session.id, role: session.role, tools: rules.missionTools });
  return ['--mcp-config', JSON.stringify(missionMcpConfig(apiUrl, token)), '--allowedTools', `mcp__${MISSION_MCP_SERVER}`];
}

/** Claude Code's MCP config (`--mcp-config` takes it as a JSON string) for Mission's server over HTTP. */
export function missionMcpConfig(apiUrl: string, token: string): { mcpServers: Record<string, unknown> } {
  return { mcpServers: { [MISSION_MCP_SERVER]: { type: 'http', url: `${apiUrl}/mcp`, headers: { Authorization: `Bearer ${token}` } } } };
}
