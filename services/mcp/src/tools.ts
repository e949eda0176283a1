import { assertAgentMayUse, assertMayCommand, assertMayReadSession, assertMayReadTask, assertMayReadTree, type CoreRuntime, gateOwner, runInTemporarySession, sessionTree, treeUsage, usageReport } from '@mission/core';
import {
  actionLogSchema,
  actionRequestSchema,
  approvalListQuerySchema,
  type Caller,
  callerError,
  ccSessionQuerySchema,
  confirmChoices,
  coordinateInputSchema,
  hasScope,
  errorBody,
  type MissionEvent,
  MissionError,
  type Scope,
  sessionListQuerySchema,
  sessionRunSchema,
  workerListQuerySchema,
  sessionSpawnSchema,
  taskInputSchema,
  taskListQuerySchema,
} from '@mission/shared';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { z } from 'zod';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

const sessionId = z.string().min(1).describe('The session id (ses_…) from mission_pty_spawn or mission_sessions.');
const turnTimeout = z.number().int().min(1_000).max(3_600_000).optional().describe('How long to wait for Claude to finish, in ms (default 5 minutes).');

/** A tool's result: the value as JSON text (what an LLM reads best), or the text itself. */
const ok = (value: unknown): CallToolResult => ({ content: [{ type: 'text', text: typeof value === 'string' ? value : JSON.stringify(value, null, 2) }] });

/** The caller the HTTP transport authenticated (stdio relays to it, so every call has one). */
export function callerOf(extra: { authInfo?: { extra?: Record<string, unknown> } }): Caller {
  const caller = extra.authInfo?.extra?.caller as Caller | undefined;
  if (!caller) throw new MissionError('unauthorized', 'this MCP connection is not authenticated');
  return caller;
}

/** Checks the caller may do what needs `scope`; returns it (for audit rows). */
export function authorize(extra: Extra, scope: Scope): Caller {
  const caller = callerOf(extra);
  if (!hasScope(caller.scopes, scope)) throw new MissionError('forbidden', `this needs the '${scope}' scope; the token has ${caller.scopes.join(', ')}`);
  return caller;
}

/** As authorize, for a tool: an agent's child token also needs the tool among its role's Mission tools. */
function authorizeTool(extra: Extra, tool: string, scope: Scope): Caller {
  assertAgentMayUse(callerOf(extra), tool);
  return authorize(extra, scope);
}

/** Runs a tool body; Mission's errors become `isError` results with the same JSON body as REST. */
async function run(core: CoreRuntime, tool: string, body: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await body();
  } catch (error) {
    const known = callerError(error);
    if (!known) core.logger.error({ err: error, tool }, 'MCP tool failed');
    return { isError: true, content: [{ type: 'text', text: JSON.stringify(errorBody(known ?? new MissionError('internal', 'internal error (see the server log)'))) }] };
  }
}

/**
 * While a long call waits, each event of what it waits on becomes a progress notification (when the
 * caller asked for progress with a progressToken). Returns the unsubscribe.
 */
async function reportProgress(core: CoreRuntime, extra: Extra, owner: { kind: 'task' | 'session'; id: string }): Promise<() => void> {
  const token = extra._meta?.progressToken;
  if (token === undefined) return () => {};
  let progress = 0;
  return core.subscriber.subscribe(core.events.channel(owner), (message) => {
    const event = JSON.parse(message) as MissionEvent;
    void extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: ++progress, message: describe(event) } }).catch(() => {});
  });
}

function describe(event: MissionEvent): string {
  switch (event.type) {
    case 'state':
      return `state: ${event.payload.state}`;
    case 'status':
      return `status: ${event.payload.text}`;
    case 'tool_call':
      return `tool: ${event.payload.tool} ${event.payload.summary ?? ''}`.trim();
    case 'user_message':
      return `prompt: ${event.payload.text.slice(0, 200)}`;
    case 'assistant_message':
      return `claude: ${event.payload.text.slice(0, 200)}`;
    case 'permission_request':
      return `asks permission: ${event.payload.tool} ${event.payload.summary ?? ''}`.trim();
    default:
      return event.type;
  }
}

/** The main agent's tools: thin adapters over the same core the REST API uses. */
export function registerTools(server: McpServer, core: CoreRuntime): void {
  const tool = <S extends z.ZodType>(
    name: string,
    scope: Scope,
    description: string,
    inputSchema: S,
    body: (args: z.infer<S>, extra: Extra, caller: Caller) => Promise<CallToolResult>,
  ) =>
    server.registerTool(name, { description, inputSchema }, ((args: z.infer<S>, extra: Extra) =>
      run(core, name, () => body(args, extra, authorizeTool(extra, name, scope)))) as never);
  /** An agent may command only the sessions it started (and theirs). */
  const mine = (caller: Caller, session: string) => assertMayCommand(core.database.db, caller, session);
  /** A command on a session the caller may command; its answer as the result. */
  const onOwn = async (caller: Caller, session: string, command: () => Promise<unknown>) => {
    await mine(caller, session);
    return ok(await command());
  };

  tool(
    'mission_submit',
    'tasks:write',
    'Start a Claude Code task in the background on a slot (a named agent configuration) and return at once with the task (id, status "queued"). Follow it with mission_status; use mission_ask instead to wait for the answer.',
    taskInputSchema,
    async (args, _extra, caller) => ok((await core.tasks.submit(args, { parentId: caller.agent?.id })).task),
  );

  tool(
    'mission_ask',
    'tasks:write',
    'Run a prompt on a slot and wait for the answer (up to timeoutMs, default 5 minutes). Returns the answer text, then the task as JSON; a task that fails, times out or is cancelled is an error (task_failed, timeout, task_cancelled) with the task in its details. Sends progress notifications while Claude works.',
    taskInputSchema,
    async (args, extra, caller) => {
      let stop = () => {};
      try {
        const task = await core.tasks.ask(args, { parentId: caller.agent?.id, signal: extra.signal, onSubmitted: async ({ task: submitted }) => void (stop = await reportProgress(core, extra, { kind: 'task', id: submitted.id })) });
        return { content: [{ type: 'text', text: task.result ?? '' }, { type: 'text', text: JSON.stringify(task, null, 2) }] };
      } finally {
        stop();
      }
    },
  );

  tool(
    'mission_status',
    'tasks:read',
    'Get a task (task_…) or a session (ses_…) by id: its status or state, result, error, cost, owner.',
    z.strictObject({ id: z.string().min(1).describe('A task id (task_…) or a session id (ses_…).') }),
    async ({ id }, _extra, caller) => {
      // An agent whose role has action classes is told, with every status, to ask through the gate.
      const gate = await core.receipts.instructionsFor(caller);
      if (id.startsWith('ses_')) {
        await assertMayReadSession(core.database.db, caller, id);
        return ok({ ...(await core.sessions.get(id)), ...(gate ? { gate } : {}) });
      }
      const task = await core.tasks.get(id);
      await assertMayReadTask(core.database.db, caller, task);
      return ok({ ...task, ...(gate ? { gate } : {}) });
    },
  );

  tool(
    'mission_request_approval',
    'tasks:read',
    "Ask before an action of a class your role names (deploy, email.send, …): a gated class raises an approval a person decides (in Mission's approvals inbox, and by signed link); an auto class is recorded and you may go on at once. Returns {receipt, approval}: poll mission_check_approval with the approval's id until it is approved (go ahead) or denied/expired (do not).",
    actionRequestSchema,
    async (args, _extra, caller) => ok(await core.receipts.request(gateOwner(caller), args, caller.label)),
  );

  tool(
    'mission_check_approval',
    'tasks:read',
    'How an action you asked for was decided: the receipt, by its id or its approval\'s, with `decision` (pending, approved, denied, expired, auto), who decided and why.',
    z.strictObject({ id: z.string().min(1).max(200).describe('The approval id (appr_…) or receipt id (rcpt_…) mission_request_approval returned.') }),
    async ({ id }, _extra, caller) => ok(await core.receipts.get(id, caller)),
  );

  tool(
    'mission_log_action',
    'tasks:read',
    'Record an action you took (after an approval, or of an auto class): a receipt with what you did and the evidence.',
    actionLogSchema,
    async (args, _extra, caller) => ok(await core.receipts.log(gateOwner(caller), args, caller.label)),
  );

  tool(
    'mission_get_receipt',
    'tasks:read',
    'A receipt (rcpt_…, or by its approval id): who asked or did what, when, and how it was decided.',
    z.strictObject({ id: z.string().min(1).max(200).describe('The receipt id (rcpt_…) or its approval id (appr_…).') }),
    async ({ id }, _extra, caller) => ok(await core.receipts.get(id, caller)),
  );

  tool(
    'mission_cancel',
    'tasks:write',
    'Cancel a task: a queued one at once; a running one has its Claude process stopped. Returns the task.',
    z.strictObject({ id: z.string().min(1).describe('The task id (task_…).') }),
    async ({ id }) => ok(await core.tasks.cancel(id)),
  );

  tool(
    'mission_tasks',
    'tasks:read',
    'List tasks, newest first, optionally by status (queued, running, succeeded, failed, cancelled, timed_out) and slot. Pass nextCursor back as cursor for more.',
    taskListQuerySchema,
    async (args) => ok(await core.tasks.list(args)),
  );

  tool(
    'mission_pty_spawn',
    'sessions:write',
    'Start an interactive Claude Code session (the real TUI in a terminal on a worker) on a slot. Returns the session; talk to it with mission_pty_send.',
    sessionSpawnSchema,
    async (args, _extra, caller) => ok(await core.sessions.spawn(args, { caller })),
  );

  tool(
    'mission_pty_send',
    'sessions:write',
    'Type a message into a session and wait for Claude\'s reply. Returns {state, response, dialog, approval}: state "idle" with the response, or "waiting_permission" with the permission dialog (the role policy already answered the tool uses it allows or denies; this one waits for a decision: mission_pty_confirm, or mission_approve on the approval). Sends progress notifications while Claude works.',
    z.strictObject({ session: sessionId, text: z.string().trim().min(1).describe('What to type (submitted with Enter).'), timeoutMs: turnTimeout }),
    async ({ session, text, timeoutMs }, extra, caller) => {
      await mine(caller, session);
      const stop = await reportProgress(core, extra, { kind: 'session', id: session });
      try {
        return ok(core.approvals.turnFor(await core.sessions.send(session, { text, timeoutMs }), caller));
      } finally {
        stop();
      }
    },
  );

  tool(
    'mission_pty_screen',
    'sessions:read',
    'Read what a session\'s terminal shows now: as text (default), or as JSON with the parsed state, permission dialog and status line.',
    z.strictObject({ session: sessionId, format: z.enum(['text', 'json']).default('text').describe('text: the screen as lines; json: parsed too.') }),
    async ({ session, format }, _extra, caller) => {
      await mine(caller, session);
      const screen = await core.sessions.screen(session);
      return ok(format === 'json' ? screen : screen.lines.join('\n').replace(/\n+$/, '\n'));
    },
  );

  tool(
    'mission_pty_confirm',
    'sessions:write',
    'Answer the permission dialog a session is showing: "yes" (once), "yes_always" (do not ask again for this), or "no". Waits for Claude to go on and returns {state, response, dialog} like mission_pty_send.',
    z.strictObject({ session: sessionId, choice: z.enum(confirmChoices).describe('yes, yes_always or no.'), timeoutMs: turnTimeout }),
    async ({ session, choice, timeoutMs }, _extra, caller) => onOwn(caller, session, async () => core.approvals.turnFor(await core.sessions.confirm(session, { choice, timeoutMs }, caller.label), caller)),
  );

  tool(
    'mission_pty_answer',
    'sessions:write',
    'Answer a dialog a blocked session shows that is not a tool permission (folder trust, the API key, the auto-mode offer, an MCP server approval, …): its state is "blocked" and mission_status shows the dialog as blocking: {kind, text, options}. Pick an option by its key; it is pressed once. Returns {state, response, dialog}.',
    z.strictObject({ session: sessionId, option: z.string().regex(/^\d{1,2}$/).describe('The key of one of the dialog\'s options, e.g. "1".'), timeoutMs: turnTimeout }),
    async ({ session, option, timeoutMs }, _extra, caller) => onOwn(caller, session, () => core.sessions.answer(session, { option, timeoutMs })),
  );

  tool(
    'mission_pty_interrupt',
    'sessions:write',
    'Stop what Claude is doing in a session (like pressing Esc) and wait for its prompt. Returns {state, response, dialog}.',
    z.strictObject({ session: sessionId }),
    async ({ session }, _extra, caller) => onOwn(caller, session, async () => core.approvals.turnFor(await core.sessions.interrupt(session), caller)),
  );

  tool(
    'mission_pty_kill',
    'sessions:write',
    'End a session: its Claude process and everything it started. With cascade, first every session under it (the sessions it spawned, theirs, …), deepest first. Returns the session (state "exited").',
    z.strictObject({ session: sessionId, cascade: z.boolean().default(false).describe('Also end every session under this one.') }),
    async ({ session, cascade }, _extra, caller) => onOwn(caller, session, () => core.sessions.kill(session, { cascade })),
  );

  tool(
    'mission_pty_resume',
    'sessions:write',
    'Restart a session that was lost (its worker died or shut down) or exited, on any worker, with `claude --resume`: the conversation goes on where it stopped, same session id. Returns the session once a worker has it.',
    z.strictObject({ session: sessionId }),
    async ({ session }, _extra, caller) => onOwn(caller, session, () => core.sessions.resume(session)),
  );

  tool(
    'mission_sessions',
    'sessions:read',
    'List interactive sessions, newest first, optionally by state (starting, idle, working, waiting_permission, blocked, exited, lost), slot and parent (the session or task that started them). tree: each session nested under its parent (children). An agent sees its own session and the sessions under it.',
    sessionListQuerySchema.extend({ tree: z.boolean().default(false).describe('Nest the sessions under their parents.') }),
    async ({ tree, ...query }, _extra, caller) => {
      const sessions = await core.sessions.list(query, { caller });
      return ok(tree ? { tree: sessionTree(sessions) } : { sessions });
    },
  );

  tool(
    'mission_run',
    'sessions:write',
    "Run one prompt in a temporary interactive session on a slot: spawns it, sends the prompt, waits for the answer, then ends the session (also on an error or a timeout). Returns {session, response}; the session's events and Claude Code's transcript are kept.",
    sessionRunSchema,
    async (args, _extra, caller) => ok(await runInTemporarySession(core.sessions, args, caller)),
  );

  tool(
    'mission_message',
    'sessions:write',
    'Send a message to another session: typed in as a prompt naming the sender ("Message from session ses_… (slot …): …") as soon as it is idle; queued while it works, delivered oldest first. Returns the message (queued or delivered); with wait_for_reply, once the target has answered it (status "answered", the reply in `reply`). An agent sends as its own session, to the sessions it started or to the one that started it.',
    z.strictObject({
      to: sessionId.describe('The target session id (ses_…).'),
      text: z.string().trim().min(1).describe('The message.'),
      from: z.string().min(1).optional().describe('The sending session (default: your own session, or the operator).'),
      wait_for_reply: z.boolean().default(false).describe("Wait for the target's reply."),
      timeoutMs: turnTimeout,
    }),
    async ({ to, text, from, wait_for_reply, timeoutMs }, _extra, caller) =>
      ok(await core.messages.send(to, { text, from, waitForReply: wait_for_reply, timeoutMs }, caller)),
  );

  tool(
    'mission_coordinate',
    'tasks:write',
    'Work towards a goal with one subtask per slot, run in parallel as tasks (a BullMQ flow whose parent completes when they do); returns {coordination, results: {<slot>: {taskId, status, result, error}}} in one answer. failurePolicy "fail_fast" (default) cancels the other subtasks at the first that does not succeed; "collect_all" lets every one run. The coordination fails when any subtask did not succeed. Sends a progress notification as each subtask ends.',
    coordinateInputSchema,
    async (args, extra) => {
      const token = extra._meta?.progressToken;
      const onProgress = (done: number, total: number, message: string) => {
        if (token !== undefined) void extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: done, total, message } }).catch(() => {});
      };
      const answer = await core.coordinations.coordinate(args, { signal: extra.signal, onProgress });
      return answer.coordination.status === 'succeeded' ? ok(answer) : { ...ok(answer), isError: true };
    },
  );

  tool(
    'mission_overview',
    'tasks:read',
    'Counts across the fleet: tasks by status and per slot, sessions by state and per slot, live sessions and tasks per worker, and queue depths.',
    z.strictObject({}),
    async () => ok(await core.overview()),
  );

  tool(
    'mission_usage',
    'tasks:read',
    'Cost (USD) and tokens per slot and for the fleet: today (UTC) and in all, with each slot\'s daily budget (a slot that has spent it refuses new tasks and sessions until midnight UTC). With `tree` (a session or task id; an agent: its own or one under it): what that agent tree cost — it and every session and task it started, node by node — with its budget.',
    z.strictObject({ tree: z.string().min(1).max(200).optional() }),
    async (args, extra) => {
      if (!args.tree) return ok(await usageReport(core.database.db));
      await assertMayReadTree(core.database.db, callerOf(extra), args.tree);
      return ok(await treeUsage(core.database.db, args.tree));
    },
  );

  tool(
    'mission_workers',
    'tasks:read',
    'The worker registry: each worker with host, capacity, the slots it serves, state (active, draining, lost), running tasks, live sessions and heartbeat age.',
    workerListQuerySchema,
    async (args) => ok({ workers: await core.workers(args) }),
  );

  tool(
    'mission_cc_sessions',
    'sessions:read',
    "Claude Code sessions found in the CLI's own transcripts (~/.claude/projects) on every active worker, newest first: id, worker, cwd, git branch, first prompt, summary, message and tool-use counts, model, last activity, whether it is in progress, its task list. Filter by worker and cwd; `workers` says which workers answered in time.",
    ccSessionQuerySchema,
    async (args) => ok(await core.cc.sessions(args)),
  );

  tool(
    'mission_cc_tasks',
    'sessions:read',
    "The task list (TaskCreate/TaskUpdate) of one Claude Code session, by its Claude Code session id: each task's content and status (pending, in_progress, completed).",
    z.strictObject({ session: z.string().min(1).max(200) }),
    async (args) => ok(await core.cc.todos(args.session)),
  );

  tool(
    'mission_cc_overview',
    'sessions:read',
    'Counts of Claude Code sessions across all active workers: sessions, in progress, tasks by status, in all and per worker.',
    z.strictObject({}),
    async () => ok(await core.cc.overview()),
  );

  tool(
    'mission_cc_in_progress',
    'sessions:read',
    'Claude Code sessions on any worker whose last turn waits for the model (a prompt or tool result without an answer yet).',
    z.strictObject({}),
    async () => ok(await core.cc.inProgress()),
  );

  tool(
    'mission_slots',
    'tasks:read', 'List the slots (named agent configurations: role, working directory, model, arguments) tasks and sessions run on.', z.strictObject({}), async () =>
    ok({ slots: await core.slots.list() }),
  );

  tool(
    'mission_approvals',
    'approvals:read',
    'List permission approvals, newest first: tool uses that a role\'s confirm rule (or no rule) holds for a decision. status "pending" lists the ones waiting; each has the tool, its input, the rule, the session or task, and (for callers who may decide) a signed url a person can open.',
    approvalListQuerySchema,
    async (args, _extra, caller) => ok({ approvals: await core.approvals.list(args, caller) }),
  );

  tool(
    'mission_approve',
    'approvals:write',
    'Decide a pending approval: "approve" lets the tool use go ahead, "deny" refuses it (the reason is passed on to Claude). The waiting session or task goes on within a second. Returns the approval.',
    z.strictObject({
      id: z.string().min(1).describe('The approval id (appr_…) from mission_approvals or a send that stopped at a dialog.'),
      decision: z.enum(['approve', 'deny']),
      reason: z.string().trim().max(2_000).optional().describe('Why; told to Claude on a deny.'),
    }),
    async ({ id, decision, reason }, _extra, caller) => ok(await core.approvals[decision](id, { reason }, caller.label)),
  );
}
