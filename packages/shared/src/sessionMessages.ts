import type { EventLog } from './eventLog.ts';
import { sessionMessages } from './db/schema.ts';
import type { MessageStatus, SessionMessage } from './schemas/messages.ts';

type MessageRow = typeof sessionMessages.$inferSelect;

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

/** A message moved on (delivered, answered, failed): an event on the target and on the sender. */
export async function announceMessageStatus(events: EventLog, row: MessageRow): Promise<void> {
  const payload = { messageId: row.id, status: row.status, reply: row.reply, error: row.error };
  for (const id of row.fromSessionId ? [row.toSessionId, row.fromSessionId] : [row.toSessionId]) {
    await events.append({ kind: 'session', id }, { type: 'message_status', payload });
  }
}
