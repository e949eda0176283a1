import { and, desc, eq, lt, or, type SQL, sql } from 'drizzle-orm';
import { builtOnce, type Database } from '../db/database.ts';
import { tasks } from '../db/schema.ts';
import type { TaskRow } from './taskStore.ts';

/** Reads of tasks (the writes are {@link TaskStore}'s). */

export async function taskRow(db: Database, id: string): Promise<TaskRow | undefined> {
  const [row] = await taskById(db).execute({ id });
  return row;
}

const taskById = builtOnce((db) =>
  db
    .select()
    .from(tasks)
    .where(eq(tasks.id, sql.placeholder('id')))
    .prepare('task_by_id'),
);

/** The task an Idempotency-Key made in its scope, if any. */
export async function taskByIdempotencyKey(db: Database, scope: string, key: string): Promise<TaskRow | undefined> {
  const [row] = await db
    .select()
    .from(tasks)
    .where(and(eq(tasks.idempotencyScope, scope), eq(tasks.idempotencyKey, key)));
  return row;
}

/**
 * Tasks newest first (by creation, then id), optionally of one status and slot, and only those after `after`
 * (the last of the previous page); at most `limit`.
 */
export async function taskRows(
  db: Database,
  query: { status?: string | undefined; slot?: string | undefined; after?: { createdAt: Date; id: string } | undefined; limit: number },
): Promise<TaskRow[]> {
  const conditions: (SQL | undefined)[] = [
    query.status ? eq(tasks.status, query.status) : undefined,
    query.slot ? eq(tasks.slot, query.slot) : undefined,
  ];
  const after = query.after;
  if (after) conditions.push(or(lt(tasks.createdAt, after.createdAt), and(eq(tasks.createdAt, after.createdAt), lt(tasks.id, after.id))));
  return db
    .select()
    .from(tasks)
    .where(and(...conditions))
    .orderBy(desc(tasks.createdAt), desc(tasks.id))
    .limit(query.limit);
}

/** The ids of a slot's queued tasks. */
export async function queuedTaskIds(db: Database, slot: string): Promise<string[]> {
  return (
    await db
      .select({ id: tasks.id })
      .from(tasks)
      .where(and(eq(tasks.slot, slot), eq(tasks.status, 'queued')))
  ).map((row) => row.id);
}
