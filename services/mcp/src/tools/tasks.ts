import { coordinateInputSchema, taskInputSchema, taskListQuerySchema } from '@mission/contracts';
import { z } from 'zod';
import { putApprovalsToAsker } from './askerApprovals.ts';
import { reportProgress } from './progress.ts';
import { takesFormElicitation } from './questionForm.ts';
import { ok, tool, type ToolDef } from './tool.ts';

/** The most events one mission_logs call returns. */
const MAX_LOG_EVENTS = 500;

/** Headless tasks: submit, ask, follow, read what they did, cancel, list, and coordinations of several. */
export const taskTools: ToolDef[] = [
  tool({
    name: 'mission_submit',
    immediate: true,
    scope: 'tasks:write',
    description:
      'Start a Claude Code task in the background on a slot (a named agent configuration) and return at once with the task (id, status "queued"). Follow it with mission_status; use mission_ask instead to wait for the answer.',
    inputSchema: taskInputSchema,
    run: async (args, { core, caller }) => ok((await core.tasks.submit(args, { parentId: caller.agent?.id, caller })).task),
  }),
  tool({
    name: 'mission_ask',
    scope: 'tasks:write',
    description:
      'Run a prompt on a slot and wait for the answer (up to timeoutMs, default 5 minutes). Returns the answer text, then the task as JSON; a task that fails, times out or is cancelled is an error (task_failed, timeout, task_cancelled) with the task in its details. Sends progress notifications while Claude works. When your client takes forms (MCP elicitation), what the task waits for meanwhile is put to you as a form: a question Claude asks, or a tool use a rule asks a person about (allow or refuse it); else Claude is told that nobody can answer its questions.',
    inputSchema: taskInputSchema,
    run: async (args, context) => {
      const { core, caller, extra } = context;
      // The person at the asker's client decides what the task waits for; not one of Mission's own agents (its decisions would be Claude's).
      const askerAnswers = !caller.agent && takesFormElicitation(context.clientCapabilities);
      const stops: (() => void)[] = [];
      try {
        const task = await core.tasks.ask(args, {
          askerAnswers,
          parentId: caller.agent?.id,
          caller,
          signal: extra.signal,
          onSubmitted: async ({ task: submitted }) => {
            stops.push(await reportProgress(core, extra, { kind: 'task', id: submitted.id }));
            if (askerAnswers) stops.push(await putApprovalsToAsker(context, submitted));
          },
        });
        return {
          content: [
            { type: 'text', text: task.result ?? '' },
            { type: 'text', text: JSON.stringify(task) },
          ],
        };
      } finally {
        for (const stop of stops) stop();
      }
    },
  }),
  tool({
    name: 'mission_status',
    immediate: true,
    scope: 'tasks:read',
    description:
      'Get a task (task_…) or a session (ses_…) by id: its status or state, result, error, cost, owner. A running task that waits for a decision lists its pendingApprovals: a tool use to approve or deny, or a question its Claude asks (tool "AskUserQuestion", input.questions) to approve with answers, both with mission_approve.',
    inputSchema: z.strictObject({ id: z.string().min(1).describe('A task id (task_…) or a session id (ses_…).') }),
    run: async ({ id }, { core, caller }) => {
      // An agent whose role has action classes is told, with every status, to ask through the gate.
      const gate = await core.receipts.instructionsFor(caller);
      if (id.startsWith('ses_')) {
        await core.access.readSession(caller, id);
        return ok({ ...(await core.sessions.get(id)), ...(gate ? { gate } : {}) });
      }
      return ok({ ...(await core.readTask(id, caller)), ...(gate ? { gate } : {}) });
    },
  }),
  tool({
    name: 'mission_logs',
    immediate: true,
    scope: 'tasks:read',
    description:
      'Read what a task (task_…) or a session (ses_…) did, as its events in order: its last `last` (default 50), or with `after` (a seq) the ones after it, up to `last`. Each event has its seq, type (state, assistant_message, tool_call, tool_output, permission_request, error, …), payload and time. Returns {events, nextAfter}: pass nextAfter as after to read on from there.',
    inputSchema: z.strictObject({
      id: z.string().min(1).describe('A task id (task_…) or a session id (ses_…).'),
      last: z.number().int().min(1).max(MAX_LOG_EVENTS).default(50).describe(`How many events, at most (1 to ${MAX_LOG_EVENTS}).`),
      after: z.number().int().min(0).optional().describe('Read the events after this seq (nextAfter of an earlier call), oldest first.'),
    }),
    run: async ({ id, last, after }, { core, caller }) => {
      // Read as the REST event stream reads: an agent only what it started (or under it).
      await core.assertMayReadEvents({ kind: id.startsWith('ses_') ? 'session' : 'task', id }, caller);
      const from = after ?? (await core.events.seqBeforeLast(id, last));
      const events = await core.events.list(id, from, { limit: last });
      return ok({ events, nextAfter: events.at(-1)?.seq ?? from });
    },
  }),
  tool({
    name: 'mission_cancel',
    scope: 'tasks:write',
    description: 'Cancel a task: a queued one at once; a running one has its Claude process stopped. Returns the task.',
    inputSchema: z.strictObject({ id: z.string().min(1).describe('The task id (task_…).') }),
    run: async ({ id }, { core }) => ok(await core.tasks.cancel(id)),
  }),
  tool({
    name: 'mission_tasks',
    immediate: true,
    scope: 'tasks:read',
    description:
      'List tasks, newest first, optionally by status (queued, running, succeeded, failed, cancelled, timed_out) and slot. Pass nextCursor back as cursor for more.',
    inputSchema: taskListQuerySchema,
    run: async (args, { core }) => ok(await core.tasks.list(args)),
  }),
  tool({
    name: 'mission_coordinate',
    scope: 'tasks:write',
    description:
      'Work towards a goal with one subtask per slot, run in parallel as tasks (a BullMQ flow whose parent completes when they do); returns {coordination, results: {<slot>: {taskId, status, result, error}}} in one answer. failurePolicy "fail_fast" (default) cancels the other subtasks at the first that does not succeed; "collect_all" lets every one run. The coordination fails when any subtask did not succeed. Sends a progress notification as each subtask ends.',
    inputSchema: coordinateInputSchema,
    run: async (args, { core, caller, extra }) => {
      const token = extra._meta?.progressToken;
      const onProgress = (done: number, total: number, message: string) => {
        if (token === undefined) return;
        void extra
          .sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: done, total, message } })
          .catch((error) => core.logger.debug({ err: error }, 'progress notification not sent (the client is gone)'));
      };
      const answer = await core.coordinations.coordinate(args, { signal: extra.signal, onProgress, caller });
      return answer.coordination.status === 'succeeded' ? ok(answer) : { ...ok(answer), isError: true };
    },
  }),
];
