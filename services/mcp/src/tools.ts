import type { CoreRuntime } from '@mission/core';
import { errorBody, MissionError } from '@mission/contracts';
import { callerError } from '@mission/store';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { callerOf } from './caller.ts';
import { approvalTools } from './tools/approvals.ts';
import { fleetTools } from './tools/fleet.ts';
import { gateTools } from './tools/gate.ts';
import { messageTools } from './tools/messages.ts';
import { sessionTools } from './tools/sessions.ts';
import { taskTools } from './tools/tasks.ts';
import type { Extra, ToolDef } from './tools/tool.ts';

/** Every tool of the main agent, by domain: thin adapters over the same core the REST API uses. */
export const missionTools: readonly ToolDef[] = [
  ...taskTools,
  ...gateTools,
  ...sessionTools,
  ...messageTools,
  ...fleetTools,
  ...approvalTools,
];

/** The tools that answer at once (see `ToolDef.immediate`). */
export const immediateTools: ReadonlySet<string> = new Set(missionTools.filter((tool) => tool.immediate).map((tool) => tool.name));

/** Runs a tool body; Mission's errors become `isError` results with the same JSON body as REST. */
async function run(core: CoreRuntime, tool: string, body: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await body();
  } catch (error) {
    const known = callerError(error);
    if (!known) core.logger.error({ err: error, tool }, 'MCP tool failed');
    return {
      isError: true,
      content: [
        { type: 'text', text: JSON.stringify(errorBody(known ?? new MissionError('internal', 'internal error (see the server log)'))) },
      ],
    };
  }
}

/**
 * Registers every tool. Each call is authorized by the core's access policy, as REST routes are (the scope;
 * for an agent, its role's tools), before its body runs; bodies ask the same policy about the hierarchy.
 */
export function registerTools(server: McpServer, core: CoreRuntime): void {
  for (const tool of missionTools) {
    server.registerTool(tool.name, { description: tool.description, inputSchema: tool.inputSchema }, ((args: unknown, extra: Extra) =>
      run(core, tool.name, async () => {
        const caller = callerOf(extra);
        core.access.tool(caller, tool.name, tool.scope);
        return tool.run(args, { core, caller, extra, clientCapabilities: server.server.getClientCapabilities() });
      })) as never);
  }
}
