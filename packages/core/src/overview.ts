import type { Counts, Overview, QueueDepth, SessionState, TaskStatus } from '@mission/contracts';
import type { Database, SpawnJobData, TaskJobData } from '@mission/store';
import { queueDepthStates } from '@mission/contracts';
import { fleetCounts } from '@mission/store';
import type { Queue } from 'bullmq';

export type { Overview, QueueDepth } from '@mission/contracts';

/** Counts across the fleet: what the main agent looks at first. */
export async function fleetOverview(db: Database, queues: { tasks: Queue<TaskJobData>; sessions: Queue<SpawnJobData> }): Promise<Overview> {
  const [counts, taskDepth, sessionDepth] = await Promise.all([fleetCounts(db), queueDepth(queues.tasks), queueDepth(queues.sessions)]);
  const { tasks: taskRows, sessions: sessionRows, liveSessionsByWorker: liveByWorker, tasksByWorker } = counts;
  const workers: Overview['workers'] = {};
  const worker = (id: string) => (workers[id] ??= { liveSessions: 0, tasks: 0 });
  for (const row of liveByWorker) if (row.worker) worker(row.worker).liveSessions = row.n;
  for (const row of tasksByWorker) if (row.worker) worker(row.worker).tasks = row.n;
  const taskCounts = tally<TaskStatus>(taskRows);
  const sessionCounts = tally<SessionState>(sessionRows);
  return {
    tasks: { byStatus: taskCounts.total, bySlot: taskCounts.bySlot },
    sessions: { byState: sessionCounts.total, bySlot: sessionCounts.bySlot },
    workers,
    queues: { tasks: taskDepth, sessions: sessionDepth },
  };
}

function tally<K extends string>(
  rows: { slot: string; key: string; n: number }[],
): { total: Counts<K>; bySlot: Record<string, Counts<K>> } {
  const total: Counts<K> = {};
  const bySlot: Record<string, Counts<K>> = {};
  for (const { slot, key, n } of rows) {
    total[key as K] = (total[key as K] ?? 0) + n;
    (bySlot[slot] ??= {})[key as K] = n;
  }
  return { total, bySlot };
}

/**
 * Mission gives every task a priority, so its jobs wait in BullMQ's `prioritized` set rather than the
 * `wait` list: the backlog counts both.
 */
export async function queueDepth(queue: Queue): Promise<QueueDepth> {
  const counts = await queue.getJobCounts(...queueDepthStates);
  const depth = Object.fromEntries(queueDepthStates.map((state) => [state, counts[state] ?? 0])) as Record<
    (typeof queueDepthStates)[number],
    number
  >;
  return { ...depth, backlog: depth.waiting + depth.prioritized };
}
