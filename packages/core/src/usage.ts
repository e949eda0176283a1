import { type UsageReport } from '@mission/contracts';
import { type Database, tables } from '@mission/store';
import { asc, count, eq, type SQL, sql } from 'drizzle-orm';
import { type UtcDay, utcDay } from './utcDay.ts';

const { slots, tasks } = tables;

/** Token kinds, as Claude Code reports them in a task's `usage` (`<kind>_tokens`, `cache_read_input_tokens` …). */
export const tokenKinds = ['input', 'output', 'cache_read', 'cache_creation'] as const;
export type TokenKind = (typeof tokenKinds)[number];
const usageKey: Record<TokenKind, string> = {
  input: 'input_tokens',
  output: 'output_tokens',
  cache_read: 'cache_read_input_tokens',
  cache_creation: 'cache_creation_input_tokens',
};

/** What one slot's tasks have cost and used, today (UTC) and in all. */
export interface SlotSpend {
  slot: string;
  dailyBudgetUsd: number | null;
  /** Tasks submitted today. */
  tasksToday: number;
  tasksTotal: number;
  /** Cost and tokens are recorded when a task ends, so "today" is the tasks that ended today. */
  costTodayUsd: number;
  costTotalUsd: number;
  tokensToday: Record<TokenKind, number>;
  tokensTotal: Record<TokenKind, number>;
}

/** Tasks that ended since the start of `day`: the ones whose cost counts against today's budget. */
export const endedOn = (day: UtcDay): SQL => sql`${tasks.finishedAt} >= ${day.start.toISOString()}::timestamptz`;

const filtered = (aggregate: SQL, when: SQL | undefined): SQL => (when ? sql`${aggregate} filter (where ${when})` : aggregate);
/** The cost of the tasks selected (those matching `when` as well, if given). */
export const costSum = (when?: SQL) => sql<number>`coalesce(${filtered(sql`sum(${tasks.costUsd})`, when)}, 0)`.mapWith(Number);
/** A token count of a task's usage; null when it is missing or not a number (a row never breaks the sum). */
const tokenCount = (kind: TokenKind) =>
  sql`case when jsonb_typeof(${tasks.usage} -> ${usageKey[kind]}) = 'number' then (${tasks.usage} ->> ${usageKey[kind]})::numeric end`;
const tokenSum = (kind: TokenKind, when?: SQL) => sql<number>`coalesce(${filtered(sql`sum(${tokenCount(kind)})`, when)}, 0)`.mapWith(Number);
const tokenSums = (when?: SQL) => Object.fromEntries(tokenKinds.map((kind) => [kind, tokenSum(kind, when)])) as Record<TokenKind, SQL<number>>;

/** Every slot's spend in one aggregate query (slots without tasks included, with zeros). */
export async function slotSpend(db: Database, day: UtcDay): Promise<SlotSpend[]> {
  const today = endedOn(day);
  return db
    .select({
      slot: slots.id,
      dailyBudgetUsd: slots.dailyBudgetUsd,
      tasksToday: sql<number>`count(${tasks.id}) filter (where ${tasks.createdAt} >= ${day.start.toISOString()}::timestamptz)`.mapWith(Number),
      tasksTotal: count(tasks.id),
      costTodayUsd: costSum(today),
      costTotalUsd: costSum(),
      tokensToday: tokenSums(today),
      tokensTotal: tokenSums(),
    })
    .from(slots)
    .leftJoin(tasks, eq(tasks.slot, slots.id))
    .groupBy(slots.id)
    .orderBy(asc(slots.id));
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
