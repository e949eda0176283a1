import { z } from 'zod';

/** One slot's spend, its tasks' and its sessions': today (UTC) and since it was created. */
export const slotUsageSchema = z.object({
  slot: z.string(),
  /** Tasks submitted today. */
  tasksToday: z.number().int(),
  /** Cost of the tasks that ended today and of the sessions recorded today (what the daily budget is checked against). */
  costTodayUsd: z.number(),
  inputTokensToday: z.number().int(),
  outputTokensToday: z.number().int(),
  dailyBudgetUsd: z.number().nullable(),
  tasksTotal: z.number().int(),
  costTotalUsd: z.number(),
});
export type SlotUsage = z.infer<typeof slotUsageSchema>;

/** `GET /v1/usage`: cost and token totals per slot and for the fleet. */
export const usageReportSchema = z.object({
  /** The UTC day "today" means, e.g. 2026-11-25. */
  day: z.string(),
  slots: z.array(slotUsageSchema),
  totals: z.object({ costTodayUsd: z.number(), costTotalUsd: z.number(), tasksToday: z.number().int() }),
});
export type UsageReport = z.infer<typeof usageReportSchema>;

/** Tokens by kind, in the keys Claude Code reports (`input_tokens`, `output_tokens`, `cache_read_input_tokens` …). */
const tokensSchema = z.record(z.string(), z.number());

/** One session or task of an agent tree and what it cost. */
export const treeNodeUsageSchema = z.object({
  id: z.string(),
  kind: z.enum(['session', 'task']),
  slot: z.string(),
  parentId: z.string().nullable(),
  /** A session's state or a task's status. */
  state: z.string(),
  costUsd: z.number(),
  usage: tokensSchema,
});

/** `GET /v1/usage/tree/:id`: what an agent tree cost — a session or task and everything it started. */
export const treeUsageSchema = z.object({
  root: z.string(),
  costUsd: z.number(),
  usage: tokensSchema,
  sessions: z.number().int(),
  tasks: z.number().int(),
  /** The budget of the tree (the smaller of its root slot's and its root role's treeBudgetUsd), if it has one. */
  treeBudgetUsd: z.number().nullable(),
  nodes: z.array(treeNodeUsageSchema),
});
export type TreeUsage = z.infer<typeof treeUsageSchema>;

export const dailySpendQuerySchema = z.strictObject({
  days: z.coerce.number().int().min(1).max(366).default(30),
  slot: z.string().min(1).max(64).optional(),
});

/** `GET /v1/usage/daily`: spend per UTC day, oldest first. */
export const dailySpendSchema = z.object({
  days: z.array(
    z.object({
      day: z.string(),
      costUsd: z.number(),
      tasksCostUsd: z.number(),
      sessionsCostUsd: z.number(),
      tasksEnded: z.number().int(),
    }),
  ),
});
export type DailySpend = z.infer<typeof dailySpendSchema>;

export const activityQuerySchema = z.strictObject({
  minutes: z.coerce.number().int().min(1).max(1_440).default(60),
});

/** `GET /v1/usage/activity`: tasks per minute and queue depth over the last minutes, oldest first. */
export const activitySchema = z.object({
  minutes: z.array(z.object({ at: z.string(), tasksStarted: z.number().int(), tasksEnded: z.number().int(), queued: z.number().int() })),
});
export type Activity = z.infer<typeof activitySchema>;
