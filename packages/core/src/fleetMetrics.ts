import { sessionStates, taskStatuses, workerStates } from '@mission/contracts';
import { type Database, type SpawnJobData, tables, type TaskJobData } from '@mission/store';
import type { Queue } from 'bullmq';
import { and, count, isNotNull, type SQL, sql } from 'drizzle-orm';
import { fleetOverview } from './overview.ts';
import { type SlotSpend, slotSpend, tokenKinds } from './usage.ts';
import { utcDay } from './utcDay.ts';

const { tasks, workers, permissionDecisions } = tables;

/** A value with its labels. */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** Observations in buckets: `cumulative[i]` counts those ≤ `bounds[i]` (Prometheus' `le`). */
export interface HistogramSeries {
  labels: Record<string, string>;
  cumulative: number[];
  count: number;
  sum: number;
}

export interface Histogram {
  bounds: readonly number[];
  series: HistogramSeries[];
}

/** Seconds a task waited in the queue (created → started): from instant to an hour. */
export const QUEUE_WAIT_BOUNDS = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600] as const;
/** Seconds a task ran (started → finished): from a quick answer to the longest timeout. */
export const TASK_DURATION_BOUNDS = [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 86400] as const;

/**
 * The fleet as Prometheus sees it, read from Postgres and Redis at scrape time — so it is the same
 * whichever API replica answers, and counts what every worker process did.
 */
export interface FleetMetrics {
  tasks: Sample[];
  sessions: Sample[];
  workers: Sample[];
  queueJobs: Sample[];
  queueBacklog: Sample[];
  queueWaitSeconds: Histogram;
  taskDurationSeconds: Histogram;
  permissionDecisions: Sample[];
  tokens: Sample[];
  costUsd: Sample[];
  costTodayUsd: Sample[];
  dailyBudgetUsd: Sample[];
}

const waitSeconds = sql`extract(epoch from ${tasks.startedAt} - ${tasks.createdAt})`;
const runSeconds = sql`extract(epoch from ${tasks.finishedAt} - ${tasks.startedAt})`;
/** Ended tasks that ran: the ones whose wait and duration are known for good. */
const ranAndEnded = and(isNotNull(tasks.startedAt), isNotNull(tasks.finishedAt));

/** Who decided, without the name: `policy`, `token` (a person or agent with an API token), `link` (a signed approval link) or `timeout`. */
const decidedBy = sql<string>`split_part(${permissionDecisions.by}, ':', 1)`;

/** Bucket counts, count and sum of `seconds`, as aggregate columns. */
function histogramColumns(seconds: SQL, bounds: readonly number[]) {
  const buckets = sql.join(bounds.map((bound) => sql`count(*) filter (where ${seconds} <= ${bound})`), sql`, `);
  return {
    cumulative: sql<number[]>`array[${buckets}]`.mapWith((values: unknown[]) => values.map(Number)),
    count: count(),
    sum: sql<number>`coalesce(sum(${seconds}), 0)`.mapWith(Number),
  };
}

/** Reads the whole fleet's metrics with a handful of aggregate queries (no rows are fetched one by one). */
export async function collectFleetMetrics(
  db: Database,
  queues: { tasks: Queue<TaskJobData>; sessions: Queue<SpawnJobData> },
  now = new Date(),
): Promise<FleetMetrics> {
  const [overview, workerRows, waits, durations, decisions, spend] = await Promise.all([
    fleetOverview(db, queues),
    db.select({ state: workers.state, n: count() }).from(workers).groupBy(workers.state),
    db.select({ slot: tasks.slot, ...histogramColumns(waitSeconds, QUEUE_WAIT_BOUNDS) }).from(tasks).where(ranAndEnded).groupBy(tasks.slot),
    db
      .select({ slot: tasks.slot, status: tasks.status, ...histogramColumns(runSeconds, TASK_DURATION_BOUNDS) })
      .from(tasks)
      .where(ranAndEnded)
      .groupBy(tasks.slot, tasks.status),
    db.select({ decision: permissionDecisions.decision, by: decidedBy, n: count() }).from(permissionDecisions).groupBy(permissionDecisions.decision, decidedBy),
    slotSpend(db, utcDay(now)),
  ]);
  // Every slot, tasks or not.
  const slotList = spend.map((s) => s.slot);
  const queuesByName = Object.entries(overview.queues);
  return {
    tasks: countsPerSlot(slotList, taskStatuses, overview.tasks.bySlot, 'status'),
    sessions: countsPerSlot(slotList, sessionStates, overview.sessions.bySlot, 'state'),
    workers: workerStates.map((state) => ({ labels: { state }, value: workerRows.find((row) => row.state === state)?.n ?? 0 })),
    queueJobs: queuesByName.flatMap(([queue, depth]) =>
      Object.entries(depth)
        .filter(([state]) => state !== 'backlog')
        .map(([state, value]) => ({ labels: { queue, state }, value })),
    ),
    queueBacklog: queuesByName.map(([queue, depth]) => ({ labels: { queue }, value: depth.backlog })),
    queueWaitSeconds: { bounds: QUEUE_WAIT_BOUNDS, series: waits.map(({ slot, ...h }) => ({ labels: { slot }, ...h })) },
    taskDurationSeconds: { bounds: TASK_DURATION_BOUNDS, series: durations.map(({ slot, status, ...h }) => ({ labels: { slot, status }, ...h })) },
    permissionDecisions: decisions.map(({ decision, by, n }) => ({ labels: { decision, by }, value: n })),
    ...spendSamples(spend),
  };
}

/** One sample per slot and status, zeros included, so a status that empties reads 0 rather than vanishing. */
function countsPerSlot<K extends string>(slotIds: string[], keys: readonly K[], bySlot: Record<string, Partial<Record<K, number>>>, label: string): Sample[] {
  return slotIds.flatMap((slot) => keys.map((key) => ({ labels: { slot, [label]: key }, value: bySlot[slot]?.[key] ?? 0 })));
}

function spendSamples(spend: SlotSpend[]): Pick<FleetMetrics, 'tokens' | 'costUsd' | 'costTodayUsd' | 'dailyBudgetUsd'> {
  return {
    tokens: spend.flatMap((s) => tokenKinds.map((kind) => ({ labels: { slot: s.slot, kind }, value: s.tokensTotal[kind] }))),
    costUsd: spend.map((s) => ({ labels: { slot: s.slot }, value: s.costTotalUsd })),
    costTodayUsd: spend.map((s) => ({ labels: { slot: s.slot }, value: s.costTodayUsd })),
    dailyBudgetUsd: spend.filter((s) => s.dailyBudgetUsd !== null).map((s) => ({ labels: { slot: s.slot }, value: s.dailyBudgetUsd! })),
  };
}
