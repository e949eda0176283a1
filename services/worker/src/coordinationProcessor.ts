import { coordinationOutcome, isTerminalTaskStatus } from '@mission/contracts';
import { coordinationChildren, type Database, type EventLog, type Logger, taskRow, TaskStore } from '@mission/store';

/**
 * Settles a coordination: runs as the parent job of its BullMQ flow, once every child task's job is done,
 * and records the outcome with every child's result on the coordinating task. A child's job can be done
 * while its task is not (its run's worker was lost, the task re-queued and running again): then nothing is
 * settled here, and the fleet's sweep settles the coordination once every child has ended
 * (`FleetRecovery.settleStrandedCoordinations`).
 */
export async function settleCoordination(o: { db: Database; events: EventLog; logger: Logger }, taskId: string): Promise<void> {
  const coordination = await taskRow(o.db, taskId);
  const children = await coordinationChildren(o.db, taskId);
  const live = children.filter(({ child }) => !isTerminalTaskStatus(child.status));
  if (live.length > 0) {
    o.logger.warn(
      { taskId, children: live.map(({ child }) => `${child.taskId} ${child.status}`) },
      'coordination not settled: a child has not ended (its job ended with a lost run); the sweep settles it once every child has',
    );
    return;
  }
  const outcome = coordinationOutcome(children, { cancelRequested: Boolean(coordination?.cancelRequestedAt) });
  if (!(await new TaskStore(o).settleCoordination(taskId, outcome))) {
    o.logger.warn({ taskId }, 'coordination was settled already');
    return;
  }
  o.logger.info({ taskId, status: outcome.status }, 'coordination settled');
}
