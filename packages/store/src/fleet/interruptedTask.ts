import type { Database } from '../db/database.ts';
import type { EventLog } from '../eventLog.ts';
import { type TaskRow, TaskStore } from '../tasks/taskStore.ts';
import type { Interruption } from '@mission/contracts';

export type { TaskRow };

/**
 * Settles a task whose run its worker cut short (lost, or shut down past its grace period): re-queued or
 * failed by its retry policy, with the events that say why ({@link TaskStore.settleInterrupted}). Resolves
 * the re-queued row (its job must be offered again), or null.
 */
export async function settleInterruptedTask(db: Database, events: EventLog, taskId: string, how: Interruption): Promise<TaskRow | null> {
  return new TaskStore({ db, events }).settleInterrupted(taskId, how);
}
