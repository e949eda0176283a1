import { and, eq, sql } from 'drizzle-orm';
import { revokeAgentTokens } from '../agentTokens.ts';
import type { Database } from '../db/database.ts';
import { tasks } from '../db/schema.ts';
import type { EventLog } from '../eventLog.ts';
import type { TaskRetryPolicy } from '../schemas/tasks.ts';
import { decideInterruptedTask, type Interruption } from './interruptedTaskPolicy.ts';

export type TaskRow = typeof tasks.$inferSelect;

/**
 * Settles a task whose run its worker cut short (lost, or shut down past its grace period): re-queued or
 * failed by {@link decideInterruptedTask}, with the events that say why. Acts only while the task is still
 * `running` on that worker; resolves the re-queued row (its job must be offered again), or null.
 */
export async function settleInterruptedTask(db: Database, events: EventLog, taskId: string, how: Interruption): Promise<TaskRow | null> {
  const stillThere = and(eq(tasks.id, taskId), eq(tasks.status, 'running'), eq(tasks.workerId, how.workerId));
  const [task] = await db.select().from(tasks).where(stillThere);
  if (!task) return null;
  const decision = decideInterruptedTask(
    { retry: task.retry as TaskRetryPolicy, attempts: task.attempts, maxAttempts: task.maxAttempts, promptDelivered: task.promptDeliveredAt !== null },
    how,
  );
  const owner = { kind: 'task', id: taskId } as const;
  // Its agent's child token dies with the run, also when the task runs again.
  await revokeAgentTokens(db, [taskId]);
  if (decision.action === 'requeue') {
    const [row] = await db
      .update(tasks)
      .set({ status: 'queued', workerId: null, startedAt: null, promptDeliveredAt: null, claudeSessionId: null, updatedAt: sql`now()` })
      .where(stillThere)
      .returning();
    if (row) await events.append(owner, { type: 'state', payload: { state: 'queued', reason: decision.reason } });
    return row ?? null;
  }
  const [row] = await db
    .update(tasks)
    .set({ status: 'failed', error: decision.reason, finishedAt: sql`now()`, updatedAt: sql`now()` })
    .where(stillThere)
    .returning({ id: tasks.id });
  if (row) {
    await events.append(owner, { type: 'error', payload: { code: decision.code, message: decision.reason } });
    await events.append(owner, { type: 'state', payload: { state: 'failed', reason: decision.reason } });
  }
  return null;
}
