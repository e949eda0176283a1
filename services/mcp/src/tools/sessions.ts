import { runInTemporarySession, sessionTree } from '@mission/core';
import {
  answerOptionSchema,
  confirmChoices,
  screenText,
  sessionListQuerySchema,
  sessionRunSchema,
  sessionSpawnSchema,
} from '@mission/contracts';
import { z } from 'zod';
import { reportProgress } from './progress.ts';
import { ok, onOwn, sessionId, tool, type ToolDef, turnTimeout } from './tool.ts';

/** Interactive sessions: spawn, talk, read the screen, answer dialogs, stop, resume, list, run once. */
export const sessionTools: ToolDef[] = [
  tool({
    name: 'mission_pty_spawn',
    scope: 'sessions:write',
    description:
      'Start an interactive Claude Code session (the real TUI in a terminal on a worker) on a slot. Returns the session; talk to it with mission_pty_send.',
    inputSchema: sessionSpawnSchema,
    run: async (args, { core, caller }) => ok(await core.sessions.spawn(args, { caller })),
  }),
  tool({
    name: 'mission_pty_send',
    scope: 'sessions:write',
    description:
      'Type a message into a session and wait for Claude\'s reply. Returns {state, response, dialog, approval, blocking?}: state "idle" with the response, "waiting_permission" with the permission dialog (the role policy already answered the tool uses it allows or denies; this one waits for a decision: mission_pty_confirm, or mission_approve on the approval), or "blocked" with blocking {kind: "question", text, options} when Claude asks the person something (answer it with mission_pty_answer). A slash command the CLI runs itself (/compact, /clear) answers with what it printed; one that opens a screen of its own (/help, /cost) answers state "blocked" with that screen\'s text (close it with mission_pty_interrupt). Sends progress notifications while Claude works.',
    inputSchema: z.strictObject({
      session: sessionId,
      text: z.string().trim().min(1).describe('What to type (submitted with Enter).'),
      timeoutMs: turnTimeout,
    }),
    run: async ({ session, text, timeoutMs }, { core, caller, extra }) => {
      await core.access.commandSession(caller, session);
      const stop = await reportProgress(core, extra, { kind: 'session', id: session });
      try {
        return ok(core.approvals.turnFor(await core.sessions.send(session, { text, timeoutMs }), caller));
      } finally {
        stop();
      }
    },
  }),
  tool({
    name: 'mission_pty_screen',
    scope: 'sessions:read',
    description:
      "Read what a session's terminal shows now: as text (default), or as JSON with the parsed state, permission dialog and status line.",
    inputSchema: z.strictObject({
      session: sessionId,
      format: z.enum(['text', 'json']).default('text').describe('text: the screen as lines; json: parsed too.'),
    }),
    run: async ({ session, format }, { core, caller }) => {
      await core.access.commandSession(caller, session);
      const screen = await core.sessions.screen(session);
      return ok(format === 'json' ? screen : screenText(screen));
    },
  }),
  tool({
    name: 'mission_pty_confirm',
    scope: 'sessions:write',
    description:
      'Answer the permission dialog a session is showing: "yes" (once), "yes_always" (do not ask again for this), or "no" (with a reason Claude is told, if you give one). Waits for Claude to go on and returns {state, response, dialog} like mission_pty_send.',
    inputSchema: z.strictObject({
      session: sessionId,
      choice: z.enum(confirmChoices).describe('yes, yes_always or no.'),
      reason: z.string().optional().describe('With no only: why, in words Claude reads (it goes on from there).'),
      timeoutMs: turnTimeout,
    }),
    run: async ({ session, choice, reason, timeoutMs }, context) =>
      onOwn(context, session, async () =>
        context.core.approvals.turnFor(
          await context.core.sessions.confirm(session, { choice, reason, timeoutMs }, context.caller.label),
          context.caller,
        ),
      ),
  }),
  tool({
    name: 'mission_pty_answer',
    scope: 'sessions:write',
    description:
      'Answer a dialog a blocked session shows that is not a tool permission: a question Claude asks (kind "question": its AskUserQuestion tool, one question at a time) or a dialog of the CLI (folder trust, the API key, the auto-mode offer, an MCP server approval, …). Its state is "blocked" and mission_status shows the dialog as blocking: {kind, text, options}. Give option (an option\'s key; several keys such as "1,3" where a question lets several be picked) or, for a question only, text (an answer in your own words). A question\'s last answer waits for the turn to end, as mission_pty_send does. Returns {state, response, dialog, blocking}.',
    inputSchema: z.strictObject({
      session: sessionId,
      option: answerOptionSchema
        .optional()
        .describe('The key of one of the dialog\'s options, e.g. "1" (or "1,3" for a question that takes several).'),
      text: z
        .string()
        .optional()
        .describe('An answer in your own words, to a question Claude asks (kind "question") only. Give option or text, not both.'),
      timeoutMs: turnTimeout,
    }),
    run: async ({ session, option, text, timeoutMs }, context) =>
      onOwn(context, session, () => context.core.sessions.answer(session, { option, text, timeoutMs })),
  }),
  tool({
    name: 'mission_pty_interrupt',
    scope: 'sessions:write',
    description:
      'Stop what Claude is doing in a session (like pressing Esc) and wait for its prompt; on a session blocked by a screen a slash command opened (command_screen: /help, /cost), close it. Returns {state, response, dialog}.',
    inputSchema: z.strictObject({ session: sessionId }),
    run: async ({ session }, context) =>
      onOwn(context, session, async () => context.core.approvals.turnFor(await context.core.sessions.interrupt(session), context.caller)),
  }),
  tool({
    name: 'mission_pty_kill',
    scope: 'sessions:write',
    description:
      'End a session: its Claude process and everything it started. With cascade, first every session under it (the sessions it spawned, theirs, …), deepest first. Returns the session (state "exited").',
    inputSchema: z.strictObject({
      session: sessionId,
      cascade: z.boolean().default(false).describe('Also end every session under this one.'),
    }),
    run: async ({ session, cascade }, context) => onOwn(context, session, () => context.core.sessions.kill(session, { cascade })),
  }),
  tool({
    name: 'mission_pty_resume',
    scope: 'sessions:write',
    description:
      'Restart a session that was lost (its worker died or shut down) or exited, on any worker, with `claude --resume`: the conversation goes on where it stopped, same session id. Returns the session once a worker has it.',
    inputSchema: z.strictObject({ session: sessionId }),
    run: async ({ session }, context) => onOwn(context, session, () => context.core.sessions.resume(session)),
  }),
  tool({
    name: 'mission_sessions',
    immediate: true,
    scope: 'sessions:read',
    description:
      'List interactive sessions, newest first, optionally by state (starting, idle, working, waiting_permission, blocked, exited, lost), slot and parent (the session or task that started them). tree: each session nested under its parent (children). An agent sees its own session and the sessions under it.',
    inputSchema: sessionListQuerySchema.extend({ tree: z.boolean().default(false).describe('Nest the sessions under their parents.') }),
    run: async ({ tree, ...query }, { core, caller }) => {
      const sessions = await core.sessions.list(query, { caller });
      return ok(tree ? { tree: sessionTree(sessions) } : { sessions });
    },
  }),
  tool({
    name: 'mission_run',
    scope: 'sessions:write',
    description:
      "Run one prompt in a temporary interactive session on a slot: spawns it, sends the prompt, waits for the answer, then ends the session (also on an error or a timeout). Returns {session, response}; the session's events and Claude Code's transcript are kept.",
    inputSchema: sessionRunSchema,
    run: async (args, { core, caller }) => ok(await runInTemporarySession(core, args, caller)),
  }),
];
