import { and, eq, sql } from 'drizzle-orm';
import type { Database } from './db/database.ts';
import { tasks } from './db/schema.ts';
import type { EventLog } from './eventLog.ts';

/** Moves a task from one status to a terminal one if it is still in the first, and records the `state` event. */
export async function finishTask(
  db: Database,
  events: EventLog,
  id: string,
  change: { from: 'queued' | 'running'; to: 'failed' | 'cancelled'; error: string },
): Promise<boolean> {
  const [row] = await db
    .update(tasks)
    .set({ status: change.to, error: change.error, finishedAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(tasks.id, id), eq(tasks.status, change.from)))
    .returning({ id: tasks.id });
  if (row) await events.append({ kind: 'task', id }, { type: 'state', payload: { state: change.to, reason: change.error } });
  return Boolean(row);
}
