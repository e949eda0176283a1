import type { SessionState } from './sessions.ts';
import type { TaskStatus } from './tasks.ts';

/** The BullMQ job states a queue's depth counts. */
export const queueDepthStates = ['waiting', 'prioritized', 'active', 'delayed', 'failed'] as const;

/** Jobs of a queue by BullMQ state, and its backlog: the jobs waiting for a worker (what autoscaling watches). */
export type QueueDepth = Record<(typeof queueDepthStates)[number], number> & { backlog: number };

/** How many there are of each key; a key with none is left out. */
export type Counts<K extends string = string> = Partial<Record<K, number>>;

/** `GET /v1/overview` (and mission_overview): counts across the fleet. */
export interface Overview {
  tasks: { byStatus: Counts<TaskStatus>; bySlot: Record<string, Counts<TaskStatus>> };
  sessions: { byState: Counts<SessionState>; bySlot: Record<string, Counts<SessionState>> };
  /** Per worker: its live sessions (not exited or lost) and the tasks it has run. */
  workers: Record<string, { liveSessions: number; tasks: number }>;
  queues: { tasks: QueueDepth; sessions: QueueDepth };
}
