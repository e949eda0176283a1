import { and, eq, inArray, isNull, or, type Placeholder, type SQL, sql } from 'drizzle-orm';
import { type Database, PreparedShapes, type Transaction } from '../db/database.ts';
import { sessions } from '../db/schema.ts';
import {
  draftPlaceholders,
  draftValues,
  type EventFence,
  type EventLog,
  type EventRecorder,
  retryingSeqConflicts,
  storedEvents,
  storedEventsOf,
} from '../eventLog.ts';
import { failPendingMessagesIn, type MessageRow, messageStatusEvent } from '../sessionMessages.ts';
import {
  assertSessionMove,
  type BlockingDialogView,
  initialSessionState,
  liveSessionStates,
  type MissionEventDraft,
  type SessionDriver,
  type SessionState,
  sessionStatesMovingTo,
  shownDialog,
} from '@mission/contracts';

export type SessionRow = typeof sessions.$inferSelect;
export type NewSessionRow = Omit<typeof sessions.$inferInsert, 'state'>;
export type EndedSessionState = Extract<SessionState, 'exited' | 'lost'>;
export type LiveSessionState = Exclude<SessionState, EndedSessionState>;

/** What a session's `state` event says besides the state (its payload without `state`). */
export type StateDetails = Record<string, unknown>;

/** How a session ended, as recorded on its row. */
export interface SessionEnding {
  state: EndedSessionState;
  exitCode: number | null;
  exitSignal: string | null;
  reason: string | null;
}

/**
 * What a worker claims with a session: the Claude Code session it runs, the driver it follows it by (`screen` where
 * `hooks` was asked and claude's settings forbid them), and its git worktree.
 */
export interface SessionClaim {
  claudeSessionId: string;
  driver: SessionDriver;
  workspaceBranch: string | null;
  workspacePath: string | null;
}

const owner = (id: string) => ({ kind: 'session', id }) as const;
const stateEvent = (state: SessionState, details: StateDetails = {}): MissionEventDraft =>
  ({ type: 'state', payload: { state, ...details } }) as MissionEventDraft;

/**
 * The sessions state machine: the one writer of the sessions table. Each transition is one transaction that
 * makes the guarded row update and stores the `state` event telling it (published once committed), and
 * resolves whether it applied; the moves allowed are those of {@link sessionTransitions}. A worker's writes
 * are guarded by its hold on the session ({@link here}): a session the fleet took from it writes nothing.
 */
export class SessionStore {
  /** {@link changeState}'s statements, by number of events. */
  private readonly changeStateStatements = new PreparedShapes<Awaited<ReturnType<ReturnType<typeof changeStateStatement>['execute']>>>(
    'session_change_state',
  );

  constructor(private readonly deps: { db: Database; events: EventLog }) {}

  /** → starting: a new session, waiting for a worker to take it. Its first `state` event is the worker's claim. */
  async create(values: NewSessionRow): Promise<SessionRow> {
    const [row] = await this.deps.db
      .insert(sessions)
      .values({ ...values, requestedDriver: values.driver, state: initialSessionState })
      .returning();
    return row!;
  }

  /**
   * An ended session → starting again, for any worker to take (resumed); false when its state changed meanwhile.
   * `details`: more of its `state` event (`autoResume` when Mission resumed it by itself).
   */
  async resume(sessionId: string, from: EndedSessionState, reason: string, details: StateDetails = {}): Promise<boolean> {
    assertSessionMove(from, 'starting');
    return this.deps.events.transaction(async (tx, record) => {
      const [row] = await tx
        .update(sessions)
        .set({
          state: 'starting',
          ownerWorker: null,
          exitCode: null,
          exitSignal: null,
          exitReason: null,
          endedAt: null,
          updatedAt: sql`now()`,
        })
        .where(and(eq(sessions.id, sessionId), eq(sessions.state, from)))
        .returning({ id: sessions.id });
      if (row) record(owner(sessionId), stateEvent('starting', { reason, ...details }));
      return Boolean(row);
    });
  }

  /** starting → ended, for a session no worker took (its spawn job was taken off the queue); false when one did. */
  async endUnclaimed(sessionId: string, state: EndedSessionState, reason: string): Promise<boolean> {
    assertSessionMove('starting', state);
    const failed = await this.deps.events.transaction(async (tx, record) => {
      const [row] = await tx
        .update(sessions)
        .set({ state, exitReason: reason, endedAt: sql`now()`, updatedAt: sql`now()` })
        .where(and(eq(sessions.id, sessionId), eq(sessions.state, 'starting'), isNull(sessions.ownerWorker)))
        .returning({ id: sessions.id });
      if (!row) return undefined;
      const failed = await failMessagesOf(tx, record, sessionId, reason);
      record(owner(sessionId), stateEvent(state, { reason }));
      return failed;
    });
    await this.tellSenders(failed ?? []);
    return failed !== undefined;
  }

  /**
   * A worker takes a session no worker holds and that has not ended, with its `starting` event (`reason`
   * says it was resumed); false when another worker took it first, or it ended meanwhile.
   */
  async claim(sessionId: string, workerId: string, claim: SessionClaim, reason?: string): Promise<boolean> {
    return this.deps.events.transaction(async (tx, record) => {
      const [row] = await tx
        .update(sessions)
        .set({ ...claim, ownerWorker: workerId, updatedAt: sql`now()` })
        .where(and(eq(sessions.id, sessionId), isNull(sessions.ownerWorker), inArray(sessions.state, [...liveSessionStates])))
        .returning({ id: sessions.id });
      if (row) record(owner(sessionId), stateEvent('starting', reason ? { reason } : {}));
      return Boolean(row);
    });
  }

  /**
   * A live session's state, as its claude shows it (`blocking`: the dialog of a `blocked` one), with the
   * `state` event telling it, while the session is `workerId`'s (or not claimed yet); false when it is not
   * (and nothing is stored). `before`: events of the session that came before the change, stored ahead of its
   * `state` event in the same transaction.
   */
  async changeState(
    sessionId: string,
    workerId: string,
    to: LiveSessionState,
    details: StateDetails,
    blocking: BlockingDialogView | null = null,
    before: readonly MissionEventDraft[] = [],
  ): Promise<boolean> {
    // The dialog as every client is shown it, on the row and on the state event (what a notification tells a person).
    const shown = blocking === null ? null : shownDialog(blocking);
    const drafts = [...before, stateEvent(to, shown ? { ...details, blocking: shown } : details)];
    const values = {
      id: sessionId,
      workerId,
      state: to,
      blocking: shown === null ? null : sessions.blocking.mapToDriverValue(shown),
      ...draftValues(drafts),
    };
    const build = () => changeStateStatement(this.deps, drafts.length);
    const [row] = await retryingSeqConflicts(() => this.changeStateStatements.execute(String(drafts.length), drafts.length, build, values));
    if (!row) return false;
    await this.deps.events.publish(storedEventsOf(row.events));
    return true;
  }

  /**
   * A live session on `workerId` (or not claimed yet) ends as `ending` says, with the `state` event telling
   * it (its payload: `details`); false when it is not that worker's any more, or had ended already.
   */
  async end(sessionId: string, workerId: string, ending: SessionEnding, details: StateDetails): Promise<boolean> {
    const failed = await this.deps.events.transaction(async (tx, record) => {
      const [row] = await tx
        .update(sessions)
        .set({
          state: ending.state,
          // Only a blocked session shows a dialog (as in every move `changeState` makes).
          blocking: null,
          exitCode: ending.exitCode,
          exitSignal: ending.exitSignal,
          exitReason: ending.reason,
          endedAt: sql`now()`,
          updatedAt: sql`now()`,
        })
        .where(here(sessionId, workerId))
        .returning({ id: sessions.id });
      if (!row) return undefined;
      const failed = await failMessagesOf(tx, record, sessionId, ending.reason ?? `the session ${ending.state}`);
      record(owner(sessionId), stateEvent(ending.state, details));
      return failed;
    });
    await this.tellSenders(failed ?? []);
    return failed !== undefined;
  }

  /**
   * Every live session of a lost worker → lost, each with its `state` event (`eventReason` for its id);
   * resolves the ids of those it ended.
   */
  async loseSessionsOf(workerId: string, rowReason: string, eventReason: (sessionId: string) => string): Promise<string[]> {
    const { lost, failed } = await this.deps.events.transaction(async (tx, record) => {
      const rows = await tx
        .update(sessions)
        .set({ state: 'lost', blocking: null, exitReason: rowReason, endedAt: sql`now()`, updatedAt: sql`now()` })
        .where(and(eq(sessions.ownerWorker, workerId), inArray(sessions.state, sessionStatesMovingTo('lost'))))
        .returning({ id: sessions.id });
      const failed: MessageRow[] = [];
      for (const { id } of rows) {
        failed.push(...(await failMessagesOf(tx, record, id, `its worker (${workerId}) was lost`)));
        record(owner(id), stateEvent('lost', { reason: eventReason(id), resumable: true }));
      }
      return { lost: rows.map(({ id }) => id), failed };
    });
    await this.tellSenders(failed);
    return lost;
  }

  /** Tells the senders of messages that failed with their target's end (each stored only while its sender has not ended). */
  private async tellSenders(failed: readonly MessageRow[]): Promise<void> {
    for (const row of failed) if (row.fromSessionId) await this.deps.events.append(owner(row.fromSessionId), messageStatusEvent(row));
  }

  /** Whether the session is still `workerId`'s (or not claimed yet) and has not ended. */
  async isHere(sessionId: string, workerId: string): Promise<boolean> {
    return (await this.deps.db.select({ id: sessions.id }).from(sessions).where(here(sessionId, workerId))).length > 0;
  }

  /** A fence for a session's own events on `workerId`: stored only while {@link isHere} holds (the row locked for share meanwhile). */
  fence(sessionId: string, workerId: string): EventFence {
    return sql`exists (${this.deps.db.select({ id: sessions.id }).from(sessions).where(here(sessionId, workerId)).for('share')})`;
  }

  /**
   * The Claude Code session a live session's CLI now runs in (after `/clear` it goes on in a new one): what a resume
   * resumes. Only while the session is `workerId`'s; false when it is not (nothing is stored). No state change.
   */
  async recordClaudeSession(sessionId: string, workerId: string, claudeSessionId: string): Promise<boolean> {
    const rows = await this.deps.db
      .update(sessions)
      .set({ claudeSessionId, updatedAt: sql`now()` })
      .where(here(sessionId, workerId))
      .returning({ id: sessions.id });
    return rows.length > 0;
  }

  /** A session's running cost (the CLI's total so far) and its tokens, where usage reports read them. No state change. */
  async recordCost(sessionId: string, costUsd: number, usage: Record<string, number>): Promise<void> {
    await this.deps.db.update(sessions).set({ costUsd, usage, costAt: new Date() }).where(eq(sessions.id, sessionId));
  }
}

/**
 * In the transaction that ends a session: what is pending for it fails (it will never be delivered or
 * answered), each told on the session before its `state` event, recorded next — its last event. Resolves
 * the failed messages, whose senders are told once the transaction has committed.
 */
async function failMessagesOf(tx: Transaction, record: EventRecorder, sessionId: string, reason: string): Promise<MessageRow[]> {
  const failed = await failPendingMessagesIn(tx, sessionId, reason);
  for (const row of failed) record(owner(sessionId), messageStatusEvent(row));
  return failed;
}

/**
 * The session is `workerId`'s (or not claimed yet) and has not ended: in a live state, from which the table
 * allows every other live state and both ends (the same live state again is no move, and harmless).
 */
function here(sessionId: string | Placeholder, workerId: string | Placeholder): SQL {
  return and(
    eq(sessions.id, sessionId),
    or(eq(sessions.ownerWorker, workerId), isNull(sessions.ownerWorker)),
    inArray(sessions.state, [...liveSessionStates]),
  )!;
}

/**
 * {@link SessionStore.changeState}'s statement with placeholders (`id`, `workerId`, `state`, `blocking`, and `eventCount`
 * events' {@link draftPlaceholders}). One statement, so one round trip and no transaction around it: the row's update
 * and, if it changed the row, the events that tell it.
 */
function changeStateStatement({ db, events }: { db: Database; events: EventLog }, eventCount: number) {
  const p = sql.placeholder;
  const changed = db.$with('changed').as(
    db
      .update(sessions)
      .set({ state: sql`${p('state')}`, blocking: sql`${p('blocking')}::jsonb`, updatedAt: sql`now()` })
      .where(here(p('id'), p('workerId')))
      .returning({ id: sessions.id }),
  );
  const stored = events.insertAfter(changed, { owner: { kind: 'session', id: p('id') }, drafts: draftPlaceholders(eventCount) });
  return db.with(changed, stored).select({ row: changed._.selectedFields, events: storedEvents }).from(changed);
}
