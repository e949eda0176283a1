import { coordinationOutcome } from '@mission/contracts';
import { coordinationChildren, type Database, type EventLog, type Logger, taskRow, TaskStore } from '@mission/store';

/**
 * Settles a coordination: runs as the parent job of its BullMQ flow, once every child task's job is done
 * (whatever became of the task), and records the outcome with every child's result on the coordinating task.
 */
export async function settleCoordination(o: { db: Database; events: EventLog; logger: Logger }, taskId: string): Promise<void> {
  const coordination = await taskRow(o.db, taskId);
  const outcome = coordinationOutcome(await coordinationChildren(o.db, taskId), { cancelRequested: Boolean(coordination?.cancelRequestedAt) });
  if (!(await new TaskStore(o).settleCoordination(taskId, outcome))) {
    o.logger.warn({ taskId }, 'coordination was settled already');
    return;
  }
  o.logger.info({ taskId, status: outcome.status }, 'coordination settled');
}
