import { asc, eq } from 'drizzle-orm';
import type { Database } from './db/database.ts';
import { tasks } from './db/schema.ts';
import type { ChildResult } from '@mission/contracts';

export interface CoordinationChild {
  slot: string;
  child: ChildResult;
  finishedAt: Date | null;
}

/** The child tasks of a coordination (tasks.parentId), one per slot, as their results. */
export async function coordinationChildren(db: Database, coordinationId: string): Promise<CoordinationChild[]> {
  const rows = await db.select().from(tasks).where(eq(tasks.parentId, coordinationId)).orderBy(asc(tasks.createdAt), asc(tasks.id));
  return rows.map((row) => ({
    slot: row.slot,
    child: { taskId: row.id, status: row.status, result: row.result, error: row.error },
    finishedAt: row.finishedAt,
  }));
}
