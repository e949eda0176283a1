import type { SessionState } from '@mission/contracts';
import { terminalTaskStatuses } from '@mission/contracts';
import { and, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { builtOnce, type Database } from '../db/database.ts';
import { sessions, tasks } from '../db/schema.ts';
import type { SessionRow } from './sessionStore.ts';

/** Reads of sessions (the writes are {@link SessionStore}'s). */

export async function sessionRow(db: Database, id: string): Promise<SessionRow | undefined> {
  const [row] = await sessionById(db).execute({ id });
  return row;
}

/** Read before every command on a session and by each GET of one: built and prepared once. */
const sessionById = builtOnce((db) =>
  db
    .select()
    .from(sessions)
    .where(eq(sessions.id, sql.placeholder('id')))
    .prepare('session_by_id'),
);

/** Sessions newest first (by creation, then id), optionally of one state, slot and parent, and among `ids`; at most `limit`. */
export async function sessionRows(
  db: Database,
  query: {
    state?: SessionState | undefined;
    slot?: string | undefined;
    parentId?: string | undefined;
    ids?: string[] | undefined;
    limit: number;
  },
): Promise<SessionRow[]> {
  return db
    .select()
    .from(sessions)
    .where(
      and(
        query.state ? eq(sessions.state, query.state) : undefined,
        query.slot ? eq(sessions.slot, query.slot) : undefined,
        query.parentId ? eq(sessions.parentId, query.parentId) : undefined,
        query.ids ? inArray(sessions.id, query.ids) : undefined,
      ),
    )
    .orderBy(desc(sessions.createdAt), desc(sessions.id))
    .limit(query.limit);
}

/** A session waiting for a worker to take it (`starting`, owned by none), if `id` is one. */
export async function unclaimedSession(db: Database, id: string): Promise<SessionRow | undefined> {
  const [row] = await db
    .select()
    .from(sessions)
    .where(and(eq(sessions.id, id), eq(sessions.state, 'starting'), isNull(sessions.ownerWorker)));
  return row;
}

/** The state of a session `workerId` owns, or undefined when it owns no session `id`. */
export async function sessionStateOn(db: Database, id: string, workerId: string): Promise<SessionState | undefined> {
  const [row] = await db
    .select({ state: sessions.state })
    .from(sessions)
    .where(and(eq(sessions.id, id), eq(sessions.ownerWorker, workerId)));
  return row?.state as SessionState | undefined;
}

/** Those of the sessions `ids` that a task started and whose task has ended, with the task and how it ended. */
export async function sessionsOfEndedTasks(db: Database, ids: string[]): Promise<{ id: string; taskId: string; status: string }[]> {
  if (ids.length === 0) return [];
  return db
    .select({ id: sessions.id, taskId: tasks.id, status: tasks.status })
    .from(sessions)
    .innerJoin(tasks, eq(tasks.id, sessions.parentId))
    .where(and(inArray(sessions.id, ids), inArray(tasks.status, [...terminalTaskStatuses])));
}
