import { type EventOwner } from '@mission/contracts';
import { type Database, mintAgentToken } from '@mission/store';
import { type CliLaunch, NOTHING_TO_LAUNCH } from './cliLaunch.ts';

/** The name Claude Code knows Mission's MCP server by: its tools are `mcp__mission__<tool>`. */
export const MISSION_MCP_SERVER = 'mission';

/** The variable the CLI reads its child token from: an argument would show it in the process table. */
export const CHILD_TOKEN_VARIABLE = 'MISSION_CHILD_TOKEN';

/**
 * What gives an agent (a session's or a task's) Mission's MCP server: when its role has Mission tools
 * (`missionTools`, from the role in force), or when `refusalsToo` (a session another agent started: a
 * call its role does not allow is then refused in words it can read). A child token bound to the session
 * or task and limited to those tools goes in the CLI's environment, named by the MCP config; tool uses of
 * that server need no permission, since the token is what limits them.
 */
export async function childMcpLaunch(
  db: Database,
  agent: EventOwner & { role: string; missionTools: readonly string[] },
  apiUrl: string,
  options: { refusalsToo: boolean },
): Promise<CliLaunch> {
  if (agent.missionTools.length === 0 && !options.refusalsToo) return NOTHING_TO_LAUNCH;
  const token = await mintAgentToken(db, { kind: agent.kind, id: agent.id }, { role: agent.role, tools: agent.missionTools });
  return {
    mcpServers: {
      [MISSION_MCP_SERVER]: { type: 'http', url: `${apiUrl}/mcp`, headers: { Authorization: `Bearer \${${CHILD_TOKEN_VARIABLE}}` } },
    },
    allowedTools: [`mcp__${MISSION_MCP_SERVER}`],
    settings: {},
    args: [],
    env: { [CHILD_TOKEN_VARIABLE]: token },
  };
}
