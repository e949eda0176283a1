import { z } from 'zod';

/** One slot's spend: today (UTC) and since it was created. */
export const slotUsageSchema = z.object({
  slot: z.string(),
  /** Tasks submitted today. */
  tasksToday: z.number().int(),
  /** Cost of the tasks that ended today (what the daily budget is checked against). */
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
