import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventOwner, Logger } from '@mission/shared';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import type { CliLaunch } from '../cliLaunch.ts';
import { readBody } from '../httpBody.ts';
import type { GuardRequest, PermissionGuard } from './permissionGuard.ts';

/** The MCP server's name in the CLI's config (apart from Mission's own server, `mission`, an agent may be given too). */
const PROMPT_SERVER = 'mission_permissions';
/** What `claude -p --permission-prompt-tool` is given to call, as the CLI names it. */
const PERMISSION_PROMPT_TOOL = `mcp__${PROMPT_SERVER}__permission_prompt`;

/** The variable a task's CLI reads its prompt server secret from. */
const PROMPT_KEY_VARIABLE = 'MISSION_PROMPT_KEY';

const promptInput = {
  tool_name: z.string().describe('The tool Claude wants to use.'),
  input: z.record(z.string(), z.unknown()).describe("The tool's input."),
  tool_use_id: z.string().optional(),
};

/**
 * The permission-prompt MCP tool for headless tasks, served by the worker on 127.0.0.1: each task
 * gets a URL with a secret of its own, so the guard knows whose request it decides. The CLI calls it
 * for every tool use its `--allowedTools` / `--disallowedTools` did not settle.
 */
export class PermissionPromptServer {
  private readonly tasks = new Map<string, Pick<GuardRequest, 'owner' | 'slot'>>();
  private readonly server = http.createServer((req, res) => void this.handle(req, res));

  constructor(
    private readonly guard: PermissionGuard,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  /**
   * What routes a task's permission prompts here (the task's secret travels in the environment, named by
   * the URL); call `unregister` when the task ends.
   */
  register(owner: EventOwner, slot: GuardRequest['slot']): CliLaunch & { unregister: () => void } {
    const key = randomBytes(24).toString('base64url');
    this.tasks.set(key, { owner, slot });
    const { port } = this.server.address() as AddressInfo;
    return {
      mcpServers: { [PROMPT_SERVER]: { type: 'http', url: `http://127.0.0.1:${port}/\${${PROMPT_KEY_VARIABLE}}` } },
      allowedTools: [],
      args: ['--permission-prompt-tool', PERMISSION_PROMPT_TOOL],
      env: { [PROMPT_KEY_VARIABLE]: key },
      unregister: () => this.tasks.delete(key),
    };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const task = this.tasks.get((req.url ?? '').slice(1));
    if (!task) return void res.writeHead(404).end();
    try {
      const body = req.method === 'POST' ? JSON.parse(await readBody(req)) : undefined;
      const mcp = new McpServer({ name: 'mission', version: '0.1.0' });
      mcp.registerTool(
        'permission_prompt',
        { description: "Decides a tool use by the slot's role in Mission (or asks a person).", inputSchema: promptInput },
        async ({ tool_name, input }) => {
          const answer = await this.guard.check({ ...task, use: { tool: tool_name, input } });
          const decision = answer.decision === 'allow' ? { behavior: 'allow', updatedInput: input } : { behavior: 'deny', message: answer.reason ?? 'Mission denied this.' };
          return { content: [{ type: 'text', text: JSON.stringify(decision) }] };
        },
      );
      // Stateless: each request is its own MCP exchange.
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => void transport.close().then(() => mcp.close()));
      await mcp.connect(transport);
      await transport.handleRequest(req, res, body);
    } catch (error) {
      this.logger.error({ err: error, owner: task.owner }, 'permission prompt failed');
      if (!res.headersSent) res.writeHead(500).end();
    }
  }
}
