import { type AnyColumn, and, asc, count, eq, gte, isNotNull, lt, or, type Placeholder, type SQL, sql } from 'drizzle-orm';
import { type Database, hot } from '../db/database.ts';
import { sessions, slots, tasks } from '../db/schema.ts';

/** Token kinds, as Claude Code reports them in a task's `usage` (`<kind>_tokens`, `cache_read_input_tokens` …). */
export const tokenKinds = ['input', 'output', 'cache_read', 'cache_creation'] as const;
export type TokenKind = (typeof tokenKinds)[number];
const usageKey: Record<TokenKind, string> = {
  input: 'input_tokens',
  output: 'output_tokens',
  cache_read: 'cache_read_input_tokens',
  cache_creation: 'cache_creation_input_tokens',
};

/** What one slot's tasks and sessions have cost and used, since the start of a day (UTC) and in all. */
export interface SlotSpend {
  slot: string;
  dailyBudgetUsd: number | null;
  /** Tasks submitted today. */
  tasksToday: number;
  tasksTotal: number;
  /**
   * As the daily budget counts them: "today" is the tasks that ended today and those running now (their cost so far,
   * as their claude reports it); a session's are its totals so far, counted on the day they were last recorded.
   */
  costTodayUsd: number;
  costTotalUsd: number;
  tokensToday: Record<TokenKind, number>;
  tokensTotal: Record<TokenKind, number>;
}

/**
 * Tasks that ended since `since`, and those not ended (what they have cost so far: a running task's, one queued again
 * after a run that cost): the ones whose cost counts against the day's budget. A task's cost counts on the day it
 * ended; until then, today.
 */
const countedSince = (since: Since): SQL => sql`(${tasks.finishedAt} >= ${instant(since)}::timestamptz or ${tasks.finishedAt} is null)`;
/** Sessions whose cost was last recorded since `since`: the ones whose cost counts against the day's budget. */
const recordedSince = (since: Since): SQL => sql`${sessions.costAt} >= ${instant(since)}::timestamptz`;
/** A time, or the placeholder of one (an ISO string) in a statement built once (`.prepare()`). */
type Since = Date | Placeholder;
const instant = (since: Since) => (since instanceof Date ? since.toISOString() : since);

const filtered = (aggregate: SQL, when: SQL | undefined): SQL => (when ? sql`${aggregate} filter (where ${when})` : aggregate);
/** The cost of the tasks selected (those matching `when` as well, if given). */
const costSum = (when?: SQL) => sql<number>`coalesce(${filtered(sql`sum(${tasks.costUsd})`, when)}, 0)`.mapWith(Number);
/** A token count of a task's or session's usage; null when it is missing or not a number (a row never breaks the sum). */
const tokenCount = (usage: AnyColumn, kind: TokenKind) =>
  sql`case when jsonb_typeof(${usage} -> ${usageKey[kind]}) = 'number' then (${usage} ->> ${usageKey[kind]})::numeric end`;
/**
 * The sum of `value` over the sessions of the slot of the row at hand (a correlated subquery, beside the join on
 * tasks), those whose cost was last recorded since `since` if given.
 */
const sessionsSum = (value: SQL | AnyColumn, since?: Date): SQL =>
  sql`(select coalesce(sum(${value}), 0) from ${sessions} where ${and(eq(sessions.slot, slots.id), since && recordedSince(since))})`;
/**
 * What the slot of the row at hand spent since `since` (its tasks that ended since or run, its sessions whose cost was
 * last recorded since: what the daily budget counts) or, without `since`, in all.
 */
const spentSum = (since?: Date) =>
  sql<number>`${costSum(since && countedSince(since))} + ${sessionsSum(sessions.costUsd, since)}`.mapWith(Number);
/** The same for each kind of token. */
const tokenSums = (since?: Date) =>
  Object.fromEntries(
    tokenKinds.map((kind) => {
      const ofTasks = sql`coalesce(${filtered(sql`sum(${tokenCount(tasks.usage, kind)})`, since && countedSince(since))}, 0)`;
      return [kind, sql<number>`${ofTasks} + ${sessionsSum(tokenCount(sessions.usage, kind), since)}`.mapWith(Number)];
    }),
  ) as Record<TokenKind, SQL<number>>;

/**
 * Every slot's spend since `dayStart` and in all, its tasks' and its sessions', in one aggregate query (slots
 * without tasks or sessions included, with zeros).
 */
export async function slotSpendSince(db: Database, dayStart: Date): Promise<SlotSpend[]> {
  return db
    .select({
      slot: slots.id,
      dailyBudgetUsd: slots.dailyBudgetUsd,
      tasksToday: sql<number>`count(${tasks.id}) filter (where ${tasks.createdAt} >= ${dayStart.toISOString()}::timestamptz)`.mapWith(
        Number,
      ),
      tasksTotal: count(tasks.id),
      costTodayUsd: spentSum(dayStart),
      costTotalUsd: spentSum(),
      tokensToday: tokenSums(dayStart),
      tokensTotal: tokenSums(),
    })
    .from(slots)
    .leftJoin(tasks, eq(tasks.slot, slots.id))
    .groupBy(slots.id)
    .orderBy(asc(slots.id));
}

/** A slot's daily budget; null when it has none, undefined when there is no such slot. */
export async function slotDailyBudget(db: Database, slot: string): Promise<number | null | undefined> {
  const [row] = await hot(db.select({ budget: slots.dailyBudgetUsd }).from(slots).where(eq(slots.id, slot)));
  return row?.budget;
}

/** What the tasks of `slot` that ended since `since`, and those running, have cost. */
export async function tasksCostSince(db: Database, slot: string, since: Date): Promise<number> {
  const [spent] = await tasksCostQuery(db, slot, since);
  return spent?.usd ?? 0;
}

/** What the sessions of `slot` have cost since `since` (the part of a daily budget sessions spent). */
export async function sessionsCostSince(db: Database, slot: string, since: Date): Promise<number> {
  const [row] = await sessionsCostQuery(db, slot, since);
  return row?.usd ?? 0;
}

const tasksCostQuery = (db: Database, slot: string | Placeholder, since: Since) =>
  db
    .select({ usd: costSum() })
    .from(tasks)
    .where(and(eq(tasks.slot, slot), countedSince(since)));

const sessionsCostQuery = (db: Database, slot: string | Placeholder, since: Since) =>
  db
    .select({ usd: sql<number>`coalesce(sum(${sessions.costUsd}), 0)`.mapWith(Number) })
    .from(sessions)
    .where(and(eq(sessions.slot, slot), isNotNull(sessions.costAt), recordedSince(since)));

/**
 * A slot's daily budget (`budget`; null or 0: none) and, when it has one, what its tasks and sessions have spent
 * since `since` (`spent`, as {@link tasksCostSince} + {@link sessionsCostSince}; null without a budget, as nothing
 * is summed then); no row when there is no such slot. A select for a statement to check the budget in
 * (`TaskStore.submit`); `slot` and `since` may be placeholders.
 */
export function slotBudgetSince(db: Database, slot: string | Placeholder, since: Since) {
  // Uncorrelated subqueries run (once) only when the case reaches them: a slot without a budget sums nothing.
  const spent = sql<number | null>`case when coalesce(${slots.dailyBudgetUsd}, 0) = 0 then null
    else (${tasksCostQuery(db, slot, since)}) + (${sessionsCostQuery(db, slot, since)}) end`.mapWith(Number);
  return db
    .select({ budget: slots.dailyBudgetUsd, spent: spent.as('spent') })
    .from(slots)
    .where(eq(slots.id, slot));
}

/**
 * Cost per UTC day (`YYYY-MM-DD`) since `since` (an ISO time): tasks on the day they ended (with how many
 * ended), and those not ended yet with day `null` (what they have cost so far); sessions on the day their cost was
 * last recorded; optionally one slot's. Days without spend are left out.
 */
export async function costPerDaySince(
  db: Database,
  since: string,
  slot?: string,
): Promise<{ tasks: { day: string | null; costUsd: number; ended: number }[]; sessions: { day: string; costUsd: number }[] }> {
  const dayOf = (column: AnyColumn) => sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD')`;
  const taskDay = dayOf(tasks.finishedAt) as SQL<string | null>;
  const sessionDay = dayOf(sessions.costAt);
  const [taskRows, sessionRows] = await Promise.all([
    db
      .select({
        day: taskDay,
        costUsd: sql<number>`coalesce(sum(${tasks.costUsd}), 0)`.mapWith(Number),
        ended: count(tasks.finishedAt),
      })
      .from(tasks)
      .where(and(countedSince(new Date(since)), slot ? eq(tasks.slot, slot) : undefined))
      .groupBy(taskDay),
    db
      .select({ day: sessionDay, costUsd: sql<number>`coalesce(sum(${sessions.costUsd}), 0)`.mapWith(Number) })
      .from(sessions)
      .where(and(sql`${sessions.costAt} >= ${since}::timestamptz`, slot ? eq(sessions.slot, slot) : undefined))
      .groupBy(sessionDay),
  ]);
  return { tasks: taskRows, sessions: sessionRows };
}

/**
 * The times of the tasks that could count in a window from `windowStart` to `now`: created before `now`, and
 * started or ended in the window, or not yet out of the queue.
 */
export async function taskTimesInWindow(
  db: Database,
  windowStart: Date,
  now: Date,
): Promise<{ createdAt: Date; startedAt: Date | null; finishedAt: Date | null }[]> {
  return db
    .select({ createdAt: tasks.createdAt, startedAt: tasks.startedAt, finishedAt: tasks.finishedAt })
    .from(tasks)
    .where(
      and(
        lt(tasks.createdAt, now),
        or(
          gte(tasks.startedAt, windowStart),
          gte(tasks.finishedAt, windowStart),
          and(sql`${tasks.startedAt} is null`, sql`${tasks.finishedAt} is null`),
        ),
      ),
    );
}
