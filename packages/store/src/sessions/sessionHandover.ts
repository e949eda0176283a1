import type { Queue } from 'bullmq';
import { and, desc, eq, inArray, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { events, sessions, slots } from '../db/schema.ts';
import type { EventLog } from '../eventLog.ts';
import type { Logger } from '../logger.ts';
import { jobNames, type SpawnJobData } from '../queues.ts';
import { SessionStore } from './sessionStore.ts';

export interface SessionHandoverOptions {
  db: Database;
  events: EventLog;
  /** The sessions queue: the resume is a spawn job any worker with room takes. */
  sessionQueue: Queue<SpawnJobData>;
  logger: Logger;
}

/**
 * Resumes by itself, on whichever worker takes it, a session of an `autoResume` slot that has just become
 * `lost` (its worker was declared lost, or drained): the session goes back to `starting` (its `state` event says
 * `autoResume`) and its spawn job with `resume` is queued — `claude --resume` on its Claude Code session, the
 * conversation going on where it stopped. Called by whoever marked the sessions lost, right after.
 *
 * Exactly once per loss: the move lost → starting is a conditional update (of two processes handing over the
 * same session, one moves it), and the job's id is the session's and its loss's, so a job added twice is one job.
 */
export class SessionHandover {
  private readonly store: SessionStore;

  constructor(private readonly deps: SessionHandoverOptions) {
    this.store = new SessionStore(deps);
  }

  /** Of these sessions, those still `lost` whose slot sets `autoResume` are resumed; resolves their ids. */
  async resumeLost(sessionIds: readonly string[], why: string): Promise<string[]> {
    if (sessionIds.length === 0) return [];
    const candidates = await this.deps.db
      .select({ id: sessions.id, claudeSessionId: sessions.claudeSessionId })
      .from(sessions)
      .innerJoin(slots, eq(slots.id, sessions.slot))
      .where(
        and(
          inArray(sessions.id, [...sessionIds]),
          eq(sessions.state, 'lost'),
          eq(slots.autoResume, true),
          // A session lost before its claude started has no conversation to resume.
          isNotNull(sessions.claudeSessionId),
        ),
      );
    const resumed: string[] = [];
    for (const { id, claudeSessionId } of candidates) {
      const loss = await this.lossOf(id);
      if (!loss) continue;
      const reason = loss.conversed
        ? `${why}: resuming Claude Code session ${claudeSessionId} on another worker (the slot sets autoResume)${
            loss.atPermission ? '; its turn, stopped at a permission request, goes on and asks again' : ''
          }${atLimitClause(loss)}`
        : `${why}: starting it again on another worker (the slot sets autoResume; it had no conversation to resume yet)`;
      // Resumed already (by hand, or by another process handing it over): that resume's job is queued.
      if (!(await this.store.resume(id, 'lost', reason, { autoResume: true }))) continue;
      await this.queueResume(id, loss);
      this.deps.logger.info({ sessionId: id, claudeSessionId }, 'lost session of an autoResume slot: resume queued');
      resumed.push(id);
    }
    return resumed;
  }

  /**
   * A session this class moved to `starting` whose resume job is not queued (the process stopped between the
   * two, or Redis lost the job), still unclaimed after `olderThanMs`: its job is queued again, under the same id.
   * Run by the fleet sweep; resolves the ids.
   */
  async requeueStranded(olderThanMs: number): Promise<string[]> {
    const stranded = await this.deps.db
      .select({ id: sessions.id })
      .from(sessions)
      .innerJoin(slots, eq(slots.id, sessions.slot))
      .where(
        and(
          eq(sessions.state, 'starting'),
          isNull(sessions.ownerWorker),
          eq(slots.autoResume, true),
          lt(sessions.updatedAt, sql`now() - make_interval(secs => ${olderThanMs / 1000})`),
        ),
      );
    const requeued: string[] = [];
    for (const { id } of stranded) {
      const loss = await this.lossOf(id);
      // Only a `starting` of this class's, right after the loss: a new session, or one resumed by hand, is not.
      if (!loss?.resumedByItself) continue;
      if (await this.deps.sessionQueue.getJob(resumeJobId(id, loss))) continue;
      await this.queueResume(id, loss);
      this.deps.logger.warn({ sessionId: id }, 'resumed session of an autoResume slot had no job: queued again');
      requeued.push(id);
    }
    return requeued;
  }

  private async queueResume(sessionId: string, loss: Loss): Promise<void> {
    await this.deps.sessionQueue.add(
      jobNames.spawn,
      // `claude --resume` of a session nobody prompted yet finds no transcript and exits: that one starts afresh.
      {
        sessionId,
        resume: loss.conversed,
        ...(loss.atPermission ? { continueTurn: true } : {}),
        ...(loss.limitTurnOpen !== undefined ? { limitTurnOpen: loss.limitTurnOpen } : {}),
      },
      { jobId: resumeJobId(sessionId, loss), removeOnComplete: true, removeOnFail: { count: 1_000 } },
    );
  }

  /**
   * The session's last loss, from its newest `state` events: the `lost` event's seq (which names the loss), whether
   * this class resumed it (the `starting` right after says `autoResume`), and whether it was waiting for a
   * permission when lost (its state before) — that tool never ran, so its turn can go on without doing anything
   * twice. A turn lost while working is left to its person: a tool may have run halfway. Whether it was waiting for
   * its slot's usage limit to reset (a `blocked` telling `limitTurnOpen`), and then whether the turn the limit
   * stopped was still open: that turn goes on once the slot takes work again, and only then. Also whether it was ever
   * prompted (a `user_message`): only then has Claude Code a transcript to resume.
   */
  private async lossOf(sessionId: string): Promise<Loss | undefined> {
    const states = await this.deps.db
      .select({ seq: events.seq, payload: events.payload })
      .from(events)
      .where(and(eq(events.ownerId, sessionId), eq(events.type, 'state')))
      .orderBy(desc(events.seq))
      .limit(3);
    const payload = (at: number) => states[at]?.payload as { state?: string; autoResume?: boolean; limitTurnOpen?: boolean } | undefined;
    const at = states.findIndex((_, index) => payload(index)?.state === 'lost');
    if (at < 0 || at > 1) return undefined;
    const [prompted] = await this.deps.db
      .select({ seq: events.seq })
      .from(events)
      .where(and(eq(events.ownerId, sessionId), eq(events.type, 'user_message')))
      .limit(1);
    return {
      conversed: prompted !== undefined,
      seq: states[at]!.seq,
      resumedByItself: at === 1 && payload(0)?.autoResume === true,
      atPermission: payload(at + 1)?.state === 'waiting_permission',
      limitTurnOpen: payload(at + 1)?.state === 'blocked' ? payload(at + 1)?.limitTurnOpen : undefined,
    };
  }
}

interface Loss {
  seq: number;
  /** It was prompted at least once: Claude Code has a transcript to resume. */
  conversed: boolean;
  resumedByItself: boolean;
  atPermission: boolean;
  /** Set when it waited for its slot's usage limit: whether the turn the limit stopped was still open. */
  limitTurnOpen: boolean | undefined;
}

/** What the resume tells of a session lost while it waited for its slot's usage limit to reset. */
const atLimitClause = (loss: Loss) =>
  loss.limitTurnOpen === undefined
    ? ''
    : `; it waits again for its slot's usage limit to reset${loss.limitTurnOpen ? ', then the turn the limit stopped goes on' : ''}`;

/** One resume job per session and loss: adding it twice adds one job. */
const resumeJobId = (sessionId: string, loss: Loss) => `${sessionId}-autoresume-${loss.seq}`;
