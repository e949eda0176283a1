import {
  BadRequestError,
  type Caller,
  isEndedSessionState,
  messageInputSchema,
  MissionError,
  newId,
  NotFoundError,
  parseInput,
  type Session,
  SessionEndedError,
  type SessionMessage,
  TimeoutError,
} from '@mission/contracts';
import {
  type ChannelSubscriber,
  type CommandClient,
  type Database,
  type EventLog,
  insertSessionMessage,
  type Logger,
  sessionMessageRow,
  sessionMessageRows,
  toSessionMessage,
  waitForEvent,
} from '@mission/store';
import { assertMayCommand } from './hierarchy.ts';
import type { RequestShutdown } from './requestShutdown.ts';
import { assertAgentMayUseSlot } from './slotAccess.ts';
import type { SessionService } from './sessions.ts';

/** Default wait of `waitForReply` for the target's answer. */
const REPLY_TIMEOUT_MS = 5 * 60_000;
/** The nudge to the target's worker answers at once: delivery itself goes on there. */
const NUDGE_TIMEOUT_MS = 15_000;

export interface MessageServiceOptions {
  db: Database;
  sessions: SessionService;
  events: EventLog;
  subscriber: ChannelSubscriber;
  commands: CommandClient;
  /** Ends a wait for a reply when the API shuts down; the message goes on. */
  shutdown: RequestShutdown;
  logger: Logger;
}

/**
 * Messages between sessions. A message is stored `queued`; the worker that owns the target types it in
 * as a prompt naming the sender as soon as the target is idle (at once if it is idle now), one at a
 * time, oldest first, and records the reply.
 */
export class MessageService {
  constructor(private readonly deps: MessageServiceOptions) {}

  async send(to: string, body: unknown, caller?: Caller): Promise<SessionMessage> {
    const input = parseInput(messageInputSchema, body, 'message');
    const target = await this.deps.sessions.get(to);
    const from = await this.sender(input.from, target, caller);
    if (from === to) throw new BadRequestError('a session cannot send a message to itself');
    if (isEndedSessionState(target.state)) throw new SessionEndedError(target, 'it can take no messages');
    if (from) await this.deps.sessions.get(from);

    // Checked again as it is stored: a target that ended meanwhile, or a sender that has ended (its message would be
    // typed into the target as its words, and the reply go nowhere), is refused.
    const stored = await insertSessionMessage(this.deps.db, { id: newId('msg'), fromSessionId: from, toSessionId: to, text: input.text });
    if ('ended' in stored)
      throw new SessionEndedError(stored.ended, stored.ended.id === to ? 'it can take no messages' : 'it can send no messages');
    const message = stored.message;
    if (from)
      await this.deps.events.append(
        { kind: 'session', id: from },
        { type: 'message_sent', payload: { messageId: message.id, to, text: message.text, status: message.status } },
      );
    await this.deps.events.append(
      { kind: 'session', id: to },
      { type: 'message_received', payload: { messageId: message.id, from, text: message.text, status: message.status } },
    );
    await this.nudge(to, target.ownerWorker);

    return input.waitForReply ? this.reply(message.id, to, input.timeoutMs ?? REPLY_TIMEOUT_MS) : this.get(message.id);
  }

  /** Waits until the message is answered (or failed); a timeout leaves it as it is. */
  private async reply(id: string, to: string, timeoutMs: number): Promise<SessionMessage> {
    const settled = await waitForEvent({
      subscriber: this.deps.subscriber,
      channel: this.deps.events.channel({ kind: 'session', id: to }),
      matches: (event) => event.type === 'message_status' && event.payload.messageId === id,
      check: async () => {
        const now = await this.get(id);
        return now.status === 'answered' || now.status === 'failed' ? now : undefined;
      },
      timeoutMs,
      signals: [this.deps.shutdown.signal],
    });
    if (settled) return settled;
    const { status } = await this.get(id);
    this.deps.shutdown.assertNotBegun(`message ${id} goes on (${status}): read it for its reply`, { messageId: id });
    throw new TimeoutError(`no reply to message ${id} within ${timeoutMs} ms (it stays ${status})`, { messageId: id });
  }

  /**
   * Who sends: an agent (a caller with its session's child token) always as its own session, and only to
   * a session it started (or under those) or to the session that started it; an operator as the session
   * it names, or as itself (null).
   */
  private async sender(named: string | undefined, target: Session, caller: Caller | undefined): Promise<string | null> {
    const agent = caller?.agent;
    if (!agent) return named ?? null;
    if (agent.kind === 'task')
      throw new MissionError(
        'forbidden',
        `forbidden: messages come from sessions; the agent of task ${agent.id} talks to the sessions it started with mission_pty_send`,
      );
    if (named && named !== agent.id)
      throw new MissionError('forbidden', `forbidden: an agent sends as its own session (${agent.id}), not as ${named}`);
    const own = await this.deps.sessions.get(agent.id);
    if (target.id !== own.parentId) {
      await assertMayCommand(this.deps.db, caller, target.id);
      await assertAgentMayUseSlot(this.deps.db, caller, target.slot, 'message');
    }
    return agent.id;
  }

  async get(id: string): Promise<SessionMessage> {
    const row = await sessionMessageRow(this.deps.db, id);
    if (!row) throw new NotFoundError('message', id);
    return toSessionMessage(row);
  }

  /** Messages a session sent or received, oldest first. */
  async list(sessionId: string): Promise<SessionMessage[]> {
    await this.deps.sessions.get(sessionId);
    return (await sessionMessageRows(this.deps.db, sessionId)).map(toSessionMessage);
  }

  /**
   * Asks the target's worker to deliver what is queued if the session is idle. Without an owner yet
   * (starting) or when the worker does not answer, the message stays queued: the worker delivers it
   * when the session next goes idle.
   */
  private async nudge(sessionId: string, ownerWorker: string | null): Promise<void> {
    if (!ownerWorker) return;
    await this.deps.commands.call(ownerWorker, 'deliver_messages', { sessionId }, NUDGE_TIMEOUT_MS).catch((error: unknown) => {
      this.deps.logger.warn({ err: error, sessionId }, 'could not nudge the worker to deliver messages; they stay queued');
    });
  }
}
