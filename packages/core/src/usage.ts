import { type UsageReport } from '@mission/contracts';
import { type Database, type SlotSpend, slotSpendSince } from '@mission/store';
import { type UtcDay, utcDay } from './utcDay.ts';

export { type SlotSpend, type TokenKind, tokenKinds } from '@mission/store';

/** Every slot's spend today (UTC) and in all (slots without tasks included, with zeros). */
export async function slotSpend(db: Database, day: UtcDay): Promise<SlotSpend[]> {
  return slotSpendSince(db, day.start);
}

/** `GET /v1/usage` from the slots' spend. */
export function toUsageReport(day: UtcDay, spend: SlotSpend[]): UsageReport {
  const sum = (pick: (slot: SlotSpend) => number) => spend.reduce((total, slot) => total + pick(slot), 0);
  return {
    day: day.date,
    slots: spend.map((s) => ({
      slot: s.slot,
      tasksToday: s.tasksToday,
      costTodayUsd: s.costTodayUsd,
      inputTokensToday: s.tokensToday.input,
      outputTokensToday: s.tokensToday.output,
      dailyBudgetUsd: s.dailyBudgetUsd,
      tasksTotal: s.tasksTotal,
      costTotalUsd: s.costTotalUsd,
    })),
    totals: { costTodayUsd: sum((s) => s.costTodayUsd), costTotalUsd: sum((s) => s.costTotalUsd), tasksToday: sum((s) => s.tasksToday) },
  };
}

/** Cost and token totals per slot and for the fleet, today (UTC) and in all. */
export async function usageReport(db: Database, now = new Date()): Promise<UsageReport> {
  const day = utcDay(now);
  return toUsageReport(day, await slotSpend(db, day));
}
