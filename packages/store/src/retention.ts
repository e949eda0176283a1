import { and, inArray, isNotNull, lt, or, type SQL, sql } from 'drizzle-orm';
import type { Database } from './db/database.ts';
import { apiTokens, approvals, events, permissionDecisions, sessionMessages, sessions, tasks } from './db/schema.ts';
import { endedSessionStates } from '@mission/contracts';
import { terminalTaskStatuses } from '@mission/contracts';

/** Owners removed per transaction: each batch holds its locks briefly. */
const BATCH = 500;

type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

export interface PruneResult {
  tasks: number;
  sessions: number;
}

/**
 * Deletes what ended more than `days` ago — tasks in a terminal status (unless a child of theirs is still
 * going), ended sessions — with their events, approvals, permission decisions, messages and agent tokens.
 * The rows are locked as they are chosen, so a session resumed meanwhile is either kept or gone whole.
 */
export async function pruneEnded(db: Database, days: number): Promise<PruneResult> {
  const cutoff = sql`now() - make_interval(days => ${days})`;
  const terminal = sql.join(
    [...terminalTaskStatuses].map((status) => sql`${status}`),
    sql`, `,
  );
  const endedTasks = and(
    inArray(tasks.status, [...terminalTaskStatuses]),
    lt(tasks.finishedAt, cutoff),
    sql`not exists (select 1 from ${tasks} as child where child.parent_id = ${tasks.id} and child.status not in (${terminal}))`,
  )!;
  const endedSessions = and(inArray(sessions.state, [...endedSessionStates]), isNotNull(sessions.endedAt), lt(sessions.endedAt, cutoff))!;
  return {
    tasks: await inBatches(db, async (tx) => {
      const ids = await lockedIds(tx, tasks, endedTasks);
      await deleteOwned(tx, ids);
      await tx.delete(apiTokens).where(inArray(apiTokens.taskId, ids));
      await tx.delete(tasks).where(inArray(tasks.id, ids));
      return ids.length;
    }),
    sessions: await inBatches(db, async (tx) => {
      const ids = await lockedIds(tx, sessions, endedSessions);
      await deleteOwned(tx, ids);
      await tx.delete(sessionMessages).where(or(inArray(sessionMessages.toSessionId, ids), inArray(sessionMessages.fromSessionId, ids)));
      await tx.delete(apiTokens).where(inArray(apiTokens.sessionId, ids));
      await tx.delete(sessions).where(inArray(sessions.id, ids));
      return ids.length;
    }),
  };
}

/** Runs `batch` in transactions until one removes nothing; answers how many it removed in all. */
async function inBatches(db: Database, batch: (tx: Transaction) => Promise<number>): Promise<number> {
  for (let removed = 0; ; ) {
    const count = await db.transaction(batch);
    if (count === 0) return removed;
    removed += count;
  }
}

async function lockedIds(tx: Transaction, table: typeof tasks | typeof sessions, where: SQL): Promise<string[]> {
  const rows = await tx.select({ id: table.id }).from(table).where(where).limit(BATCH).for('update', { skipLocked: true });
  return rows.map((row) => row.id);
}

/** What a task or session owns in the tables keyed by owner. */
async function deleteOwned(tx: Transaction, ownerIds: string[]): Promise<void> {
  if (ownerIds.length === 0) return;
  await tx.delete(events).where(inArray(events.ownerId, ownerIds));
  await tx.delete(approvals).where(inArray(approvals.ownerId, ownerIds));
  await tx.delete(permissionDecisions).where(inArray(permissionDecisions.ownerId, ownerIds));
}
