import type { CoreRuntime } from '@mission/core';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { registerResources } from './resources.ts';
import { registerTools } from './tools.ts';

const INSTRUCTIONS = `Mission runs Claude Code agents on a fleet of workers.
- Tasks: mission_submit (background) or mission_ask (waits for the answer) run one prompt headless on a slot; mission_status / mission_cancel / mission_tasks follow them.
- Sessions: mission_pty_spawn starts an interactive Claude Code; mission_pty_send talks to it and returns its reply or the permission dialog it shows; answer permission dialogs with mission_pty_confirm, and a blocked session's question from Claude or dialog of the CLI (folder trust, login, …) with mission_pty_answer; mission_pty_screen shows the terminal; mission_pty_interrupt and mission_pty_kill stop it.
- mission_slots lists the agent configurations; mission_overview counts everything.`;

/** One MCP server (one per connection) over the core runtime; `close` stops its resource watch. */
export function createMissionMcpServer(core: CoreRuntime): { server: McpServer; close(): void } {
  const server = new McpServer({ name: 'mission', version: '0.1.0' }, { instructions: INSTRUCTIONS });
  registerTools(server, core);
  const stopWatching = registerResources(server, core);
  return { server, close: stopWatching };
}
