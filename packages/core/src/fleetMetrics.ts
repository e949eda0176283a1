import { sessionStates, taskStatuses, workerStates } from '@mission/contracts';
import {
  type Database,
  permissionDecisionCounts,
  queueWaitHistograms,
  type SpawnJobData,
  taskDurationHistograms,
  type TaskJobData,
  workerStateCounts,
} from '@mission/store';
import type { Queue } from 'bullmq';
import { fleetOverview } from './overview.ts';
import { type SlotSpend, slotSpend, tokenKinds } from './usage.ts';
import { utcDay } from './utcDay.ts';

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

/** Reads the whole fleet's metrics with a handful of aggregate queries (no rows are fetched one by one). */
export async function collectFleetMetrics(
  db: Database,
  queues: { tasks: Queue<TaskJobData>; sessions: Queue<SpawnJobData> },
  now = new Date(),
): Promise<FleetMetrics> {
  const [overview, workerRows, waits, durations, decisions, spend] = await Promise.all([
    fleetOverview(db, queues),
    workerStateCounts(db),
    queueWaitHistograms(db, QUEUE_WAIT_BOUNDS),
    taskDurationHistograms(db, TASK_DURATION_BOUNDS),
    permissionDecisionCounts(db),
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
    taskDurationSeconds: {
      bounds: TASK_DURATION_BOUNDS,
      series: durations.map(({ slot, status, ...h }) => ({ labels: { slot, status }, ...h })),
    },
    permissionDecisions: decisions.map(({ decision, by, n }) => ({ labels: { decision, by }, value: n })),
    ...spendSamples(spend),
  };
}

/** One sample per slot and status, zeros included, so a status that empties reads 0 rather than vanishing. */
function countsPerSlot<K extends string>(
  slotIds: string[],
  keys: readonly K[],
  bySlot: Record<string, Partial<Record<K, number>>>,
  label: string,
): Sample[] {
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
