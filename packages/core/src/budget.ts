import { MissionError } from '@mission/contracts';
import { type Database, sessionsCostSince, slotDailyBudget, tasksCostSince } from '@mission/store';
import { type UtcDay, utcDay } from './utcDay.ts';

const usd = (amount: number) => `$${Number(amount.toFixed(6))}`;

/** The refusal of new work on a slot whose daily budget is spent; undefined while some is left. */
export function budgetRefusal(slot: string, dailyBudgetUsd: number, spentTodayUsd: number, day: UtcDay): MissionError | undefined {
  if (spentTodayUsd < dailyBudgetUsd) return undefined;
  const resetsAt = day.end.toISOString();
  return new MissionError(
    'budget_exhausted',
    `slot '${slot}' has spent its daily budget: ${usd(spentTodayUsd)} of ${usd(dailyBudgetUsd)} today (UTC ${day.date}); ` +
      `new tasks and sessions on it are refused until the budget resets at ${resetsAt}`,
    { slot, dailyBudgetUsd, spentTodayUsd, resetsAt },
  );
}

/**
 * Refuses new work on a slot whose tasks and sessions have cost its `dailyBudgetUsd` or more since midnight
 * UTC (a task counts when it ended, and while it runs with what it has cost so far; a session when its cost was last
 * recorded).
 * Work already queued or running goes on, so a day can end somewhat over budget. `known`: the slot's budget, when
 * read already (`SlotService.assertKnown`).
 */
export async function assertWithinDailyBudget(
  db: Database,
  slot: string,
  now = new Date(),
  known?: { dailyBudgetUsd: number | null },
): Promise<void> {
  const budget = known ? known.dailyBudgetUsd : await slotDailyBudget(db, slot);
  if (!budget) return;
  const day = utcDay(now);
  const tasksSpent = await tasksCostSince(db, slot, day.start);
  const sessionsSpent = await sessionsCostSince(db, slot, day.start);
  const refusal = budgetRefusal(slot, budget, tasksSpent + sessionsSpent, day);
  if (refusal) throw refusal;
}
