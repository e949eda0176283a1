import { and, asc, eq, inArray, or, sql } from 'drizzle-orm';
import { builtOnce, type Database, type Transaction } from './db/database.ts';
import type { EventLog } from './eventLog.ts';
import { sessionMessages, sessions } from './db/schema.ts';
import { isEndedSessionState, type MessageStatus, type MissionEventDraft, type SessionMessage } from '@mission/contracts';

export type MessageRow = typeof sessionMessages.$inferSelect;

export function toSessionMessage(row: MessageRow): SessionMessage {
  return {
    id: row.id,
    from: row.fromSessionId,
    to: row.toSessionId,
    text: row.text,
    status: row.status as MessageStatus,
    reply: row.reply,
    error: row.error,
    createdAt: row.createdAt.toISOString(),
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
    answeredAt: row.answeredAt?.toISOString() ?? null,
  };
}

/** What a `message_status` event says of a message that moved on (delivered, answered, failed). */
export function messageStatusEvent(row: MessageRow): MissionEventDraft {
  return { type: 'message_status', payload: { messageId: row.id, status: row.status, reply: row.reply, error: row.error } };
}

/**
 * A message moved on (delivered, answered, failed): an event on the target and on the sender (each stored
 * only while its session has not ended: {@link EventLog.append}).
 */
export async function announceMessageStatus(events: EventLog, row: MessageRow): Promise<void> {
  for (const id of row.fromSessionId ? [row.toSessionId, row.fromSessionId] : [row.toSessionId]) {
    await events.append({ kind: 'session', id }, messageStatusEvent(row));
  }
}

/**
 * The session is ending (exited, or lost with its worker), in the transaction that ends it: what is still
 * queued for it will never be delivered, and what was delivered will never be answered. Resolves the
 * messages it failed, for their `message_status` events.
 */
export async function failPendingMessagesIn(tx: Transaction, sessionId: string, reason: string): Promise<MessageRow[]> {
  const failed: MessageRow[] = [];
  for (const [status, what] of [
    ['queued', 'the message was delivered'],
    ['delivered', 'it answered the message'],
  ] as const) {
    failed.push(
      ...(await tx
        .update(sessionMessages)
        .set({ status: 'failed', error: `the session ended before ${what}: ${reason}` })
        .where(and(eq(sessionMessages.toSessionId, sessionId), eq(sessionMessages.status, status)))
        .returning()),
    );
  }
  return failed;
}

/**
 * Stores a message, queued for its target, unless its target or its sender has ended: resolves the message, or
 * the session that has ended. Both sessions' rows are read `for share` in the insert's transaction, so a session's
 * end (which fails what is still queued for it, in its own transaction) either waits for the message and fails it,
 * or has committed and the message is refused: none is left queued for an ended target, none typed in from an
 * ended sender.
 */
export async function insertSessionMessage(
  db: Database,
  message: { id: string; fromSessionId: string | null; toSessionId: string; text: string },
): Promise<{ message: MessageRow } | { ended: { id: string; state: string } }> {
  return db.transaction(async (tx) => {
    const ids = message.fromSessionId ? [message.toSessionId, message.fromSessionId] : [message.toSessionId];
    const rows = await tx.select({ id: sessions.id, state: sessions.state }).from(sessions).where(inArray(sessions.id, ids)).for('share');
    const ended = rows.find((row) => isEndedSessionState(row.state));
    if (ended) return { ended };
    const [row] = await tx
      .insert(sessionMessages)
      .values({ ...message, status: 'queued' })
      .returning();
    return { message: row! };
  });
}

export async function sessionMessageRow(db: Database, id: string): Promise<MessageRow | undefined> {
  const [row] = await db.select().from(sessionMessages).where(eq(sessionMessages.id, id));
  return row;
}

/** Messages a session sent or received, oldest first. */
export async function sessionMessageRows(db: Database, sessionId: string): Promise<MessageRow[]> {
  return db
    .select()
    .from(sessionMessages)
    .where(or(eq(sessionMessages.toSessionId, sessionId), eq(sessionMessages.fromSessionId, sessionId)))
    .orderBy(asc(sessionMessages.createdAt), asc(sessionMessages.id));
}

/**
 * Claims the oldest message queued for the session (queued → delivered); undefined when none is. Run at every idle
 * of every session: one prepared statement, and a message another claimer holds is passed over, not waited for.
 */
export async function takeNextQueuedMessage(db: Database, sessionId: string): Promise<MessageRow | undefined> {
  const [taken] = await claimOldestQueued(db).execute({ sessionId });
  return taken;
}

const claimOldestQueued = builtOnce((db) =>
  db
    .update(sessionMessages)
    .set({ status: 'delivered', deliveredAt: sql`now()` })
    // The row the subquery locks is queued when locked (Postgres checks a locked row's condition again), and stays so.
    .where(
      eq(
        sessionMessages.id,
        db
          .select({ id: sessionMessages.id })
          .from(sessionMessages)
          .where(and(eq(sessionMessages.toSessionId, sql.placeholder('sessionId')), eq(sessionMessages.status, 'queued')))
          .orderBy(asc(sessionMessages.createdAt), asc(sessionMessages.id))
          .limit(1)
          .for('update', { skipLocked: true }),
      ),
    )
    .returning()
    .prepare('claim_oldest_queued_message'),
);

export async function updateSessionMessage(db: Database, id: string, update: Partial<MessageRow>): Promise<MessageRow | undefined> {
  const [row] = await db.update(sessionMessages).set(update).where(eq(sessionMessages.id, id)).returning();
  return row;
}
