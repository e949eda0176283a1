/**
 * The API's answers the console reads: the contracts' own types (packages/shared/src/schemas and events),
 * so the console cannot drift from the API. Type-only imports: none of it reaches the browser bundle.
 */
export type {
  Approval,
  AuditEntry,
  Activity,
  Counts,
  DailySpend,
  Overview,
  QueueDepth,
  Session,
  Slot,
  SlotUsage,
  Task,
  TaskRead,
  UsageReport as Usage,
  WorkerInfo as Worker,
} from '@mission/contracts/schemas';
export type { MissionEvent } from '@mission/contracts/events';

import type { Task } from '@mission/contracts/schemas';

/** A page of `GET /v1/tasks`. */
export interface TaskPage {
  tasks: Task[];
  nextCursor: string | null;
}
