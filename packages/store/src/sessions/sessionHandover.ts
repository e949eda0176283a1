import type { Queue } from 'bullmq';
import { and, desc, eq, inArray, isNotNull } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { events, sessions, slots } from '../db/schema.ts';
import type { EventLog } from '../eventLog.ts';
import type { Logger } from '../logger.ts';
import type { SpawnJobData } from '../queues.ts';
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
      .select({ id: sessions.id, lostAt: sessions.endedAt, claudeSessionId: sessions.claudeSessionId })
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
    for (const { id, lostAt, claudeSessionId } of candidates) {
      const continueTurn = await this.stoppedAtPermission(id);
      const reason = `${why}: resuming Claude Code session ${claudeSessionId} on another worker (the slot sets autoResume)${
        continueTurn ? '; its turn, stopped at a permission request, goes on and asks again' : ''
      }`;
      // Resumed already (by hand, or by another process handing it over): that resume's job is queued.
      if (!(await this.store.resume(id, 'lost', reason, { autoResume: true }))) continue;
      await this.deps.sessionQueue.add(
        'spawn',
        { sessionId: id, resume: true, ...(continueTurn ? { continueTurn } : {}) },
        { jobId: `${id}-autoresume-${lostAt?.getTime() ?? 0}`, removeOnComplete: true, removeOnFail: { count: 1_000 } },
      );
      this.deps.logger.info({ sessionId: id, claudeSessionId }, 'lost session of an autoResume slot: resume queued');
      resumed.push(id);
    }
    return resumed;
  }

  /**
   * Whether the session was waiting for a permission when it was lost (its state before `lost`): that tool never
   * ran, so its turn can go on without doing anything twice. A turn lost while working is left to its person: a
   * tool may have run halfway.
   */
  private async stoppedAtPermission(sessionId: string): Promise<boolean> {
    const [, before] = await this.deps.db
      .select({ payload: events.payload })
      .from(events)
      .where(and(eq(events.ownerId, sessionId), eq(events.type, 'state')))
      .orderBy(desc(events.seq))
      .limit(2);
    return (before?.payload as { state?: string } | undefined)?.state === 'waiting_permission';
  }
}
