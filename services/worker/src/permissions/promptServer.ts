import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Approval, questionsAsked } from '@mission/contracts';
import { NOBODY_TO_ASK } from '../claudeQuestions.ts';
import type { Logger } from '@mission/store';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { CliLaunch } from '../cliLaunch.ts';
import { agentCallServer } from '../agentCallServer.ts';
import { CallerCheck, CallerPin } from '../agentCaller.ts';
import { readBody } from '../httpBody.ts';
import { NO_DECISION, parseHookInput } from '../hooks/hookPayloads.ts';
import { costReportEnv, httpHooks } from '../hooks/hookSettings.ts';
import { METRICS_PATH } from '../hooks/cliSpend.ts';
import { type SpendHandler, takeMetricsExport } from '../hooks/metricsExport.ts';
import type { GuardRequest, PermissionGuard } from './permissionGuard.ts';
import { ToolUseAuthors } from './toolUseAuthors.ts';

/** The MCP server's name in the CLI's config (apart from Mission's own server, `mission`, an agent may be given too). */
const PROMPT_SERVER = 'mission_permissions';
/** What `claude -p --permission-prompt-tool` is given to call, as the CLI names it. */
const PERMISSION_PROMPT_TOOL = `mcp__${PROMPT_SERVER}__permission_prompt`;

/** The variable a task's CLI reads its prompt server secret from. */
const PROMPT_KEY_VARIABLE = 'MISSION_PROMPT_KEY';
/** Where a task's CLI posts its PreToolUse hook, with its secret in {@link PROMPT_KEY_HEADER}. */
const PRE_TOOL_USE_PATH = '/pre-tool-use';
const PROMPT_KEY_HEADER = 'x-mission-prompt-key';
/** The PreToolUse hook is answered at once (it decides nothing): the CLI gives up on it after this. */
const PRE_TOOL_USE_TIMEOUT_MS = 30_000;

/**
 * The CLI gives up on an MCP tool call after 300 s without progress (its idle timeout) and, per server,
 * after the server's `timeout`: the prompt server's timeout is the approval window plus this margin (for
 * the guard's own writes), and progress is reported this often while a decision is awaited.
 */
const TIMEOUT_MARGIN_MS = 60_000;
const PROGRESS_EVERY_MS = 30_000;

/**
 * The task whose tool uses a route decides. `questionsWait`: Claude's questions wait for a person's answers (as an
 * approval); not in a task asked for one answer (`mission ask`, mission_ask), whose asker waits on the task and can
 * answer nothing meanwhile: Claude is told at once that nobody can answer.
 */
export interface PromptTask extends Pick<GuardRequest, 'owner' | 'slot'> {
  questionsWait: boolean;
}

/** What the prompt server keeps of an agent's route: the task once it is known, and its checks. */
interface Route {
  /** Whose tool uses it decides: set when the task is known (at once for a cold agent, at hand-off for a warm one). */
  task?: PromptTask;
  /** Aborted when the task ends: approvals still pending expire at once. */
  ended: AbortController;
  /** The checks under way, so the end can wait for them to settle. */
  checks: Set<Promise<unknown>>;
  /** Approvals nobody decided (they expired): those tool uses never ran. */
  undecided: Approval[];
  /** The agent's CLI: the key is in its environment, which its commands inherit; only its own calls are taken. */
  caller: CallerPin;
  /** Whose tool uses its subagents' are, told by its PreToolUse hook before it asks about them. */
  authors: ToolUseAuthors;
  /** Hears what the task's claude has cost so far (its metrics exports), once the task is known. */
  spent?: SpendHandler;
}

/** A task's permission prompts: what its CLI is launched with, and how it ends. */
export interface TaskPrompts extends CliLaunch {
  /** Call when the task's CLI has exited: expires its pending approvals and says which tool uses nobody decided. */
  finish(): Promise<Approval[]>;
  /** Whom calls are taken from: the agent's claude, under the program it was started as (`caller.calledFrom`). */
  caller: CallerPin;
}

/**
 * A route for an agent started before its task is known (a warm agent): its CLI connects to it at start
 * (the MCP handshake), and `bind` names the task whose tool uses it decides. A tool use asked before
 * that is denied. `release` when the agent is ended without a task.
 */
export interface ReservedPrompts extends CliLaunch {
  /** The task, and what hears its claude's metrics exports (when it was reserved to make them). */
  bind(task: PromptTask, spent: SpendHandler): TaskPrompts;
  release(): void;
  /** Whom calls are taken from: the agent's claude, under the program it was started as (`caller.calledFrom`). */
  caller: CallerPin;
}

const promptInput = {
  tool_name: z.string().describe('The tool Claude wants to use.'),
  input: z.record(z.string(), z.unknown()).describe("The tool's input."),
  tool_use_id: z.string().optional(),
};

/**
 * The permission-prompt MCP tool for headless tasks, served by the worker on 127.0.0.1: each task
 * gets a URL with a secret of its own, so the guard knows whose request it decides. The CLI calls it
 * for every tool use its `--allowedTools` / `--disallowedTools` did not settle.
 *
 * The prompt names the tool use but not whose it is; the CLI's PreToolUse hook, which it calls (and waits for) before
 * it asks, names the subagent whose work it is. Each task's CLI posts that hook here too, with the same secret: an
 * approval of a subagent's tool use says so, as a session's does. (Claude Code 2.1.332; a CLI whose settings forbid
 * hooks does not call it, and its approvals name no agent.)
 */
export class PermissionPromptServer {
  private readonly routes = new Map<string, Route>();
  private readonly server = agentCallServer((req, res) => void this.handle(req, res));
  private callers?: CallerCheck;

  constructor(
    private readonly guard: PermissionGuard,
    private readonly logger: Logger,
    /** How long an approval may wait for a person (MISSION_APPROVAL_TIMEOUT_MS): the CLI must wait that long. */
    private readonly approvalTimeoutMs: number,
    /** How often an agent's claude reports what it has cost so far, when it does (MISSION_COST_REPORT_MS; 0: never). */
    private readonly costReportMs: number,
  ) {}

  async start(): Promise<void> {
    this.callers = await CallerCheck.start(this.logger, 'permission prompts');
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  /**
   * What routes a task's permission prompts here (the task's secret travels in the environment, named by
   * the URL) and, with `reportsCost` (taskLaunch.ts `reportsCostTo`), its claude's metrics exports to `spent`; call
   * `finish` when the task's CLI has exited.
   */
  register(task: PromptTask, reportsCost: boolean, spent: SpendHandler): TaskPrompts {
    return this.reserve(reportsCost).bind(task, spent);
  }

  /** A route whose task is named later ({@link ReservedPrompts.bind}): for an agent started ahead of its task. */
  reserve(reportsCost: boolean): ReservedPrompts {
    const key = randomBytes(24).toString('base64url');
    const route: Route = {
      ended: new AbortController(),
      checks: new Set(),
      undecided: [],
      caller: new CallerPin(),
      authors: new ToolUseAuthors(),
    };
    this.routes.set(key, route);
    const { port } = this.server.address() as AddressInfo;
    const launch: CliLaunch = {
      mcpServers: {
        [PROMPT_SERVER]: {
          type: 'http',
          url: `http://127.0.0.1:${port}/\${${PROMPT_KEY_VARIABLE}}`,
          timeout: this.approvalTimeoutMs + TIMEOUT_MARGIN_MS,
        },
      },
      allowedTools: [],
      settings: httpHooks(
        ['PreToolUse'],
        `http://127.0.0.1:${port}${PRE_TOOL_USE_PATH}`,
        { header: PROMPT_KEY_HEADER, variable: PROMPT_KEY_VARIABLE },
        PRE_TOOL_USE_TIMEOUT_MS,
      ),
      args: ['--permission-prompt-tool', PERMISSION_PROMPT_TOOL],
      env: {
        [PROMPT_KEY_VARIABLE]: key,
        ...(reportsCost && this.costReportMs > 0
          ? costReportEnv(`http://127.0.0.1:${port}${METRICS_PATH}`, { header: PROMPT_KEY_HEADER, value: key }, this.costReportMs)
          : {}),
      },
    };
    return {
      ...launch,
      release: () => void this.routes.delete(key),
      caller: route.caller,
      bind: (task, spent) => {
        route.task = task;
        route.spent = spent;
        return {
          ...launch,
          caller: route.caller,
          finish: async () => {
            this.routes.delete(key);
            route.ended.abort('the task ended before anyone decided');
            await Promise.allSettled([...route.checks]);
            return route.undecided;
          },
        };
      },
    };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // Its PreToolUse hook and its metrics exports carry the key in a header; its MCP client, in the URL.
    const hooked = req.url === PRE_TOOL_USE_PATH;
    const metrics = req.url === METRICS_PATH;
    const byHeader = hooked || metrics;
    const route = this.routes.get(byHeader ? String(req.headers[PROMPT_KEY_HEADER] ?? '') : (req.url ?? '').slice(1));
    if (!route || (byHeader && req.method !== 'POST')) return void res.writeHead(404).end();
    const what = hooked ? 'a PreToolUse hook call' : metrics ? 'a metrics export' : 'a permission prompt call';
    const fromTheCli = await this.callers!.letThrough(route.caller, req, res, {
      call: `${what} with the agent's key`,
      refusal: "Mission takes an agent's permission prompts only from the agent's own claude process",
      context: { owner: route.task?.owner },
    });
    if (!fromTheCli) return;
    if (hooked) return this.preToolUse(route, req, res);
    // A warm agent's exports before its task is known tell nothing (no model request yet): taken, and dropped.
    if (metrics) return takeMetricsExport(req, res, (spend) => route.spent?.(spend), this.logger, { owner: route.task?.owner });
    try {
      const body = req.method === 'POST' ? JSON.parse(await readBody(req)) : undefined;
      const mcp = new McpServer({ name: 'mission', version: '0.1.0' });
      mcp.registerTool(
        'permission_prompt',
        { description: "Decides a tool use by the slot's role in Mission (or asks a person).", inputSchema: promptInput },
        async ({ tool_name, input, tool_use_id }, extra) => {
          const task = route.task;
          if (!task)
            return {
              content: [
                { type: 'text', text: JSON.stringify({ behavior: 'deny', message: 'Mission denied this: the agent has no task yet.' }) },
              ],
            };
          const question = questionsAsked({ tool: tool_name, input }) !== null;
          if (question && !task.questionsWait)
            return { content: [{ type: 'text', text: JSON.stringify({ behavior: 'deny', message: NOBODY_TO_ASK }) }] };
          const stopProgress = keepAlive(extra, this.logger);
          const toolUseId = tool_use_id ?? (extra._meta?.['claudecode/toolUseId'] as string | undefined);
          const subagent = route.authors.take(toolUseId);
          const request = {
            owner: task.owner,
            slot: task.slot,
            use: { tool: tool_name, input },
            ...(subagent ? { subagent } : {}),
            signal: AbortSignal.any([extra.signal, route.ended.signal]),
          };
          // Claude's question to a person: held as an approval approved with the answers.
          const check = question ? this.guard.ask(request) : this.guard.check(request);
          route.checks.add(check);
          const answer = await check.finally(() => (route.checks.delete(check), stopProgress()));
          if (answer.undecided) route.undecided.push(answer.undecided);
          const decision =
            answer.decision === 'allow'
              ? { behavior: 'allow', updatedInput: answer.answers ? { ...input, answers: answer.answers } : input }
              : { behavior: 'deny', message: answer.reason ?? 'Mission denied this.' };
          return { content: [{ type: 'text', text: JSON.stringify(decision) }] };
        },
      );
      // Stateless: each request is its own MCP exchange.
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => void transport.close().then(() => mcp.close()));
      await mcp.connect(transport);
      await transport.handleRequest(req, res, body);
    } catch (error) {
      this.logger.error({ err: error, owner: route.task?.owner }, 'permission prompt failed');
      if (!res.headersSent) res.writeHead(500).end();
    }
  }

  /** The CLI's PreToolUse hook: notes the subagent whose tool use it is, decides nothing (the prompt that may follow does). */
  private async preToolUse(route: Route, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      route.authors.heard(parseHookInput(JSON.parse(await readBody(req))));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(NO_DECISION));
    } catch (error) {
      // The CLI goes on as it does when a hook fails; the tool use's approval, if one is asked, names no agent.
      this.logger.error({ err: error, owner: route.task?.owner }, "a task's PreToolUse hook call could not be read");
      if (!res.headersSent) res.writeHead(500).end();
    }
  }
}

type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/**
 * Progress notifications while the tool waits (when the CLI asked for them with a progress token): a
 * client that counts time without progress keeps waiting for the person deciding.
 */
function keepAlive(extra: ToolExtra, logger: Logger): () => void {
  const progressToken = extra._meta?.progressToken;
  if (progressToken === undefined) {
    return () => {
      // the CLI asked for no progress: no timer to stop
    };
  }
  let progress = 0;
  const timer = setInterval(() => {
    progress += 1;
    void extra
      .sendNotification({
        method: 'notifications/progress',
        params: { progressToken, progress, message: 'waiting for a decision on the tool use' },
      })
      .catch((error: unknown) => logger.debug({ err: error }, 'progress notification not delivered'));
  }, PROGRESS_EVERY_MS);
  return () => clearInterval(timer);
}
