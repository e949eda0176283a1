/**
 * An MCP server (stdio) whose one tool, `deploy`, asks the person for input (MCP elicitation: a form, or, when
 * DEPLOY_PAGE names one, a page to open — URL mode) and answers with what it got: `deploy: {"action": …, "content": …}`
 * (and a line of it in the file DEPLOY_LOG names, if set). For the tests of an MCP server's request for input in a
 * session (tests/session-mcp-input.test.ts).
 */
import fs from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

const FORM = {
  message: 'Where should it go?',
  requestedSchema: {
    type: 'object',
    properties: {
      region: { type: 'string', title: 'Region', enum: ['eu-west', 'us-east'], enumNames: ['Europe (West)', 'US (East)'] },
      replicas: { type: 'integer', title: 'Replicas', minimum: 1, maximum: 5 },
      note: { type: 'string', title: 'Note' },
    },
    required: ['region', 'replicas'],
  },
};
const page = process.env.DEPLOY_PAGE;
const request = page ? { mode: 'url', message: 'Sign in to the cloud to deploy', url: page, elicitationId: 'deploy-sign-in' } : FORM;

const server = new McpServer({ name: 'deployer', version: '1.0.0' });
server.registerTool('deploy', { description: 'Deploys the app where the person says.' }, async () => {
  const result = await server.server.elicitInput(request, { timeout: 10 * 60_000 });
  // Also in a file when asked (DEPLOY_LOG): a turn interrupted meanwhile never shows Claude the tool's result.
  if (process.env.DEPLOY_LOG) fs.appendFileSync(process.env.DEPLOY_LOG, `${JSON.stringify(result)}\n`);
  return { content: [{ type: 'text', text: `deploy: ${JSON.stringify(result)}` }] };
});
await server.connect(new StdioServerTransport());
