import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The CLI arguments that give a claude the `deployer` MCP server (tests/support/elicitingMcpServer.mjs, whose `deploy`
 * tool asks the person for input), allowed to run: its config written into `workdir`. `deployLog`: a file the server
 * writes what each request came to; `page`: a URL the server asks the person to open (URL mode) instead of its form.
 */
export function deployerArgs(workdir: string, deployLog?: string, page?: string): string[] {
  // One config per page: slots of one working folder may ask for different ones.
  const config = path.join(
    workdir,
    page ? `deployer-page-${createHash('sha256').update(page).digest('hex').slice(0, 12)}-mcp.json` : 'deployer-mcp.json',
  );
  const server = path.resolve(import.meta.dirname, 'elicitingMcpServer.mjs');
  const env = { ...(deployLog ? { DEPLOY_LOG: deployLog } : {}), ...(page ? { DEPLOY_PAGE: page } : {}) };
  fs.writeFileSync(config, JSON.stringify({ mcpServers: { deployer: { command: process.execPath, args: [server], env } } }));
  return ['--mcp-config', config, '--allowedTools', 'mcp__deployer__deploy'];
}

/** The page the `deployer` server asks the person to open in the URL-mode tests and recording. */
export const DEPLOYER_PAGE = 'https://cloud.example.com/sign-in?session=deploy-42';
