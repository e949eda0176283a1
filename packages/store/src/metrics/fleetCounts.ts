import { and, count, isNotNull, notInArray, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { permissionDecisions, sessions, tasks, workers } from '../db/schema.ts';

/** A count of rows sharing a slot and a key (a task's status, a session's state). */
export interface SlotKeyCount {
  slot: string;
  key: string;
  n: number;
}

/** Tasks and sessions counted by slot and status/state, and per worker (its live sessions, its tasks). */
export async function fleetCounts(db: Database): Promise<{
  tasks: SlotKeyCount[];
  sessions: SlotKeyCount[];
  liveSessionsByWorker: { worker: string | null; n: number }[];
  tasksByWorker: { worker: string | null; n: number }[];
}> {
  const [taskRows, sessionRows, liveSessionsByWorker, tasksByWorker] = await Promise.all([
    db.select({ slot: tasks.slot, key: tasks.status, n: count() }).from(tasks).groupBy(tasks.slot, tasks.status),
    db.select({ slot: sessions.slot, key: sessions.state, n: count() }).from(sessions).groupBy(sessions.slot, sessions.state),
    db
      .select({ worker: sessions.ownerWorker, n: count() })
      .from(sessions)
      .where(notInArray(sessions.state, ['exited', 'lost']))
      .groupBy(sessions.ownerWorker),
    db.select({ worker: tasks.workerId, n: count() }).from(tasks).where(isNotNull(tasks.workerId)).groupBy(tasks.workerId),
  ]);
  return { tasks: taskRows, sessions: sessionRows, liveSessionsByWorker, tasksByWorker };
}

/**
 * Sessions a worker holds now (claimed, not exited or lost): each is a claude process that keeps its worker busy,
 * which KEDA counts (`live` of GET /v1/queues/sessions) so that a worker holding sessions is not scaled away.
 */
export async function heldSessionCount(db: Database): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(sessions)
    .where(and(isNotNull(sessions.ownerWorker), notInArray(sessions.state, ['exited', 'lost'])));
  return row?.n ?? 0;
}

/** Workers counted by state. */
export async function workerStateCounts(db: Database): Promise<{ state: string; n: number }[]> {
  return db.select({ state: workers.state, n: count() }).from(workers).groupBy(workers.state);
}

/** Bucket counts (`cumulative[i]` counts those ≤ `bounds[i]`), count and sum of some seconds. */
export interface HistogramRow {
  cumulative: number[];
  count: number;
  sum: number;
}

const waitSeconds = sql`extract(epoch from ${tasks.startedAt} - ${tasks.createdAt})`;
const runSeconds = sql`extract(epoch from ${tasks.finishedAt} - ${tasks.startedAt})`;
/** Ended tasks that ran: the ones whose wait and duration are known for good. */
const ranAndEnded = and(isNotNull(tasks.startedAt), isNotNull(tasks.finishedAt));

/** Bucket counts, count and sum of `seconds`, as aggregate columns. */
function histogramColumns(seconds: SQL, bounds: readonly number[]) {
  const buckets = sql.join(
    bounds.map((bound) => sql`count(*) filter (where ${seconds} <= ${bound})`),
    sql`, `,
  );
  return {
    cumulative: sql<number[]>`jsonb_build_array(${buckets})`.mapWith((values: unknown[]) => values.map(Number)),
    count: count(),
    sum: sql<number>`coalesce(sum(${seconds}), 0)`.mapWith(Number),
  };
}

/** Seconds the tasks that ran and ended waited in the queue (created → started), per slot, in `bounds`. */
export async function queueWaitHistograms(db: Database, bounds: readonly number[]): Promise<(HistogramRow & { slot: string })[]> {
  return db
    .select({ slot: tasks.slot, ...histogramColumns(waitSeconds, bounds) })
    .from(tasks)
    .where(ranAndEnded)
    .groupBy(tasks.slot);
}

/** Seconds the tasks that ran and ended ran (started → finished), per slot and status, in `bounds`. */
export async function taskDurationHistograms(
  db: Database,
  bounds: readonly number[],
): Promise<(HistogramRow & { slot: string; status: string })[]> {
  return db
    .select({ slot: tasks.slot, status: tasks.status, ...histogramColumns(runSeconds, bounds) })
    .from(tasks)
    .where(ranAndEnded)
    .groupBy(tasks.slot, tasks.status);
}

/** Who decided, without the name: `policy`, `token` (a person or agent with an API token), `link` (a signed approval link) or `timeout`. */
const decidedBy = sql<string>`split_part(${permissionDecisions.by}, ':', 1)`;

/** Permission decisions counted by decision and by the kind of who decided. */
export async function permissionDecisionCounts(db: Database): Promise<{ decision: string; by: string; n: number }[]> {
  return db
    .select({ decision: permissionDecisions.decision, by: decidedBy, n: count() })
    .from(permissionDecisions)
    .groupBy(permissionDecisions.decision, decidedBy);
}
