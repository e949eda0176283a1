import { assertMayReadTree, treeUsage, usageReport } from '@mission/core';
import { ccSessionQuerySchema, workerListQuerySchema } from '@mission/contracts';
import { z } from 'zod';
import { ok, tool, type ToolDef } from './tool.ts';

/** The fleet: counts, cost, workers, slots, and Claude Code's own records on every worker. */
export const fleetTools: ToolDef[] = [
  tool({
    name: 'mission_overview',
    immediate: true,
    scope: 'tasks:read',
    description:
      'Counts across the fleet: tasks by status and per slot, sessions by state and per slot, live sessions and tasks per worker, and queue depths.',
    inputSchema: z.strictObject({}),
    run: async (_args, { core }) => ok(await core.overview()),
  }),
  tool({
    name: 'mission_usage',
    immediate: true,
    scope: 'tasks:read',
    description:
      "Cost (USD) and tokens per slot and for the fleet: today (UTC) and in all, with each slot's daily budget (a slot that has spent it refuses new tasks and sessions until midnight UTC). With `tree` (a session or task id; an agent: its own or one under it): what that agent tree cost — it and every session and task it started, node by node — with its budget.",
    inputSchema: z.strictObject({ tree: z.string().min(1).max(200).optional() }),
    run: async (args, { core, caller }) => {
      if (!args.tree) return ok(await usageReport(core.database.db));
      await assertMayReadTree(core.database.db, caller, args.tree);
      return ok(await treeUsage(core.database.db, args.tree));
    },
  }),
  tool({
    name: 'mission_workers',
    immediate: true,
    scope: 'tasks:read',
    description:
      'The worker registry: each worker with host, capacity, the slots it serves, state (active, draining, lost), running tasks, live sessions and heartbeat age.',
    inputSchema: workerListQuerySchema,
    run: async (args, { core }) => ok({ workers: await core.workers(args) }),
  }),
  tool({
    name: 'mission_slots',
    immediate: true,
    scope: 'tasks:read',
    description:
      'List the slots (named agent configurations: role, working directory, model, arguments) tasks and sessions run on, each with its options — `autoResume` (a session whose worker is lost or drained is resumed on another), `warmPool` (claude processes kept started), `maxConcurrency`, `dailyBudgetUsd` and `treeBudgetUsd` (budgets in USD), `workspace` and `keepWorkspace` — and its `pause` while a usage or rate limit Claude hit keeps its tasks waiting (until, reason, the task or session that hit it; null otherwise).',
    inputSchema: z.strictObject({}),
    run: async (_args, { core }) => ok({ slots: await core.slots.list() }),
  }),
  tool({
    name: 'mission_cc_sessions',
    scope: 'sessions:read',
    description:
      "Claude Code sessions found in the CLI's own transcripts (~/.claude/projects) on every active worker, newest first: id, worker, cwd, git branch, first prompt, summary, message and tool-use counts, model, last activity, whether it is in progress, its task list. Filter by worker and cwd; `workers` says which workers answered in time.",
    inputSchema: ccSessionQuerySchema,
    run: async (args, { core }) => ok(await core.cc.sessions(args)),
  }),
  tool({
    name: 'mission_cc_tasks',
    scope: 'sessions:read',
    description:
      "The task list (TaskCreate/TaskUpdate) of one Claude Code session, by its Claude Code session id: each task's content and status (pending, in_progress, completed).",
    inputSchema: z.strictObject({ session: z.string().min(1).max(200) }),
    run: async (args, { core }) => ok(await core.cc.todos(args.session)),
  }),
  tool({
    name: 'mission_cc_overview',
    scope: 'sessions:read',
    description: 'Counts of Claude Code sessions across all active workers: sessions, in progress, tasks by status, in all and per worker.',
    inputSchema: z.strictObject({}),
    run: async (_args, { core }) => ok(await core.cc.overview()),
  }),
  tool({
    name: 'mission_cc_in_progress',
    scope: 'sessions:read',
    description: 'Claude Code sessions on any worker whose last turn waits for the model (a prompt or tool result without an answer yet).',
    inputSchema: z.strictObject({}),
    run: async (_args, { core }) => ok(await core.cc.inProgress()),
  }),
];
