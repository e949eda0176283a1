import fs from 'node:fs';
import path from 'node:path';

/**
 * The CLI arguments that give a claude the `deployer` MCP server (tests/support/elicitingMcpServer.mjs, whose `deploy`
 * tool asks the person for input), allowed to run: its config written into `workdir`. `deployLog`: a file the server
 * writes what each request came to.
 */
export function deployerArgs(workdir: string, deployLog?: string): string[] {
  const config = path.join(workdir, 'deployer-mcp.json');
  const server = path.resolve(import.meta.dirname, 'elicitingMcpServer.mjs');
  const env = deployLog ? { DEPLOY_LOG: deployLog } : {};
  fs.writeFileSync(config, JSON.stringify({ mcpServers: { deployer: { command: process.execPath, args: [server], env } } }));
  return ['--mcp-config', config, '--allowedTools', 'mcp__deployer__deploy'];
}
