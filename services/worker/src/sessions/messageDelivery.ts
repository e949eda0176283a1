import { messagePrompt, TimeoutError } from '@mission/contracts';
import {
  announceMessageStatus,
  type Database,
  type EventLog,
  type Logger,
  type MessageRow,
  sessionRow,
  takeNextQueuedMessage,
  updateSessionMessage,
} from '@mission/store';
import type { InteractiveSession } from './interactive.ts';

/** How long a delivered message may take to be answered. */
const REPLY_TIMEOUT_MS = 5 * 60_000;

/**
 * Delivers the messages queued for the sessions of this worker: when a session is idle, the oldest is
 * typed in as a prompt naming its sender, its reply recorded, then the next — one at a time.
 */
export class MessageDelivery {
  /** Sessions whose queue is being delivered now. */
  private readonly delivering = new Set<string>();

  constructor(private readonly deps: { db: Database; events: EventLog; logger: Logger }) {}

  /** Delivers what is queued for the session while it is idle; returns at once if a delivery is going on. */
  async deliver(session: InteractiveSession): Promise<void> {
    if (this.delivering.has(session.id)) return;
    this.delivering.add(session.id);
    try {
      while (session.state === 'idle') {
        const message = await this.takeNext(session.id);
        if (!message) return;
        await this.deliverOne(session, message);
      }
    } catch (error) {
      this.deps.logger.error({ err: error, sessionId: session.id }, 'message delivery failed');
    } finally {
      this.delivering.delete(session.id);
    }
  }

  /** Claims the oldest queued message (queued → delivered). */
  private async takeNext(sessionId: string): Promise<MessageRow | undefined> {
    return takeNextQueuedMessage(this.deps.db, sessionId);
  }

  /**
   * Types the message and waits for the turn: an idle end is the reply (answered). A turn that stops at
   * a permission dialog, or does not end within the reply's timeout, leaves it delivered, without a reply (it
   * was typed: it is never typed again); the session being busy again (someone typed first) puts it back in
   * the queue; any other error fails it.
   */
  private async deliverOne(session: InteractiveSession, message: MessageRow): Promise<void> {
    await announceMessageStatus(this.deps.events, message);
    let update: Partial<MessageRow>;
    try {
      const turn = await session.send(
        messagePrompt(message.fromSessionId, message.text, await this.slotOf(message.fromSessionId)),
        REPLY_TIMEOUT_MS,
      );
      if (turn.state !== 'idle') return;
      update = { status: 'answered', reply: turn.response ?? '', answeredAt: new Date() };
    } catch (error) {
      const busy = session.state === 'working' || session.state === 'waiting_permission';
      // Typed, and its turn still going when the wait for the reply ended: it stays delivered.
      if (busy && error instanceof TimeoutError) return;
      update = busy ? { status: 'queued', deliveredAt: null } : { status: 'failed', error: (error as Error).message };
    }
    const row = await updateSessionMessage(this.deps.db, message.id, update);
    if (row && row.status !== 'queued') await announceMessageStatus(this.deps.events, row);
  }

  private async slotOf(sessionId: string | null): Promise<string | undefined> {
    if (!sessionId) return undefined;
    return (await sessionRow(this.deps.db, sessionId))?.slot;
  }
}
