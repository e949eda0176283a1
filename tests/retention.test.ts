import { mintAgentToken, pruneEnded, queueNames, tables } from '@mission/store';
import { Queue, QueueEvents } from 'bullmq';
import { eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from './support/system.ts';

const { apiTokens, events, sessionMessages, sessions, tasks } = tables;

describe('retention (MISSION_RETENTION_DAYS)', () => {
  let system: TestSystem;
  beforeAll(async () => {
    // No worker: the tasks and sessions stay where the test puts them.
    system = await startTestSystem({ inProcessWorker: false, env: { MISSION_RETENTION_DAYS: '7' } });
  });
  afterAll(async () => system?.close());

  const db = () => system.core.database.db;
  const submit = async (prompt: string, parentId?: string) =>
    (await system.core.tasks.submit({ prompt }, parentId ? { parentId } : {})).task.id;
  /** Moves a task to `status`, ended (or last changed) `daysAgo` days ago, with an event and an agent token. */
  const task = async (status: string, daysAgo: number, parentId?: string) => {
    const id = await submit(`${status} ${daysAgo}`, parentId);
    const finishedAt = status === 'running' || status === 'queued' ? null : sql`now() - make_interval(days => ${daysAgo})`;
    // It spoke while it ran (an ended task takes no more events), then came to `status`.
    await system.core.events.append({ kind: 'task', id }, { type: 'assistant_message', payload: { text: 'said' } });
    await db()
      .update(tasks)
      .set({ status, finishedAt, createdAt: sql`now() - make_interval(days => ${daysAgo + 1})` })
      .where(eq(tasks.id, id));
    await mintAgentToken(db(), { kind: 'task', id }, { role: 'default', tools: [] });
    return id;
  };
  let sessionCount = 0;
  /** A session row in `state`, ended `daysAgo` days ago when it has ended, with an event and a message to it. */
  const session = async (state: string, daysAgo: number) => {
    const id = `sess_retention_${++sessionCount}`;
    const endedAt = state === 'exited' || state === 'lost' ? sql`now() - make_interval(days => ${daysAgo})` : null;
    // It spoke while live (an ended session takes no more events), then came to `state`.
    await db().insert(sessions).values({ id, slot: 'default', state: 'idle' });
    await system.core.events.append({ kind: 'session', id }, { type: 'assistant_message', payload: { text: 'said' } });
    await db().update(sessions).set({ state, endedAt }).where(eq(sessions.id, id));
    await db()
      .insert(sessionMessages)
      .values({ id: `msg_${id}`, toSessionId: id, text: 'hello', status: 'answered' });
    return id;
  };
  const left = async (ids: string[]) => ({
    tasks: (await db().select({ id: tasks.id }).from(tasks).where(inArray(tasks.id, ids))).map((r) => r.id).sort(),
    sessions: (await db().select({ id: sessions.id }).from(sessions).where(inArray(sessions.id, ids))).map((r) => r.id).sort(),
    eventOwners: [
      ...new Set((await db().select({ id: events.ownerId }).from(events).where(inArray(events.ownerId, ids))).map((r) => r.id)),
    ].sort(),
    tokenOwners: (
      await db()
        .select({ task: apiTokens.taskId, session: apiTokens.sessionId })
        .from(apiTokens)
        .where(sql`${apiTokens.taskId} in ${ids} or ${apiTokens.sessionId} in ${ids}`)
    )
      .map((r) => r.task ?? r.session)
      .sort(),
    messagesTo: (
      await db().select({ id: sessionMessages.toSessionId }).from(sessionMessages).where(inArray(sessionMessages.toSessionId, ids))
    )
      .map((r) => r.id)
      .sort(),
  });

  it('deletes what ended before the period with everything it owns, and nothing that is recent or still going', async () => {
    const oldDone = await task('succeeded', 10);
    const oldFailed = await task('failed', 30);
    const recentDone = await task('succeeded', 2);
    const oldRunning = await task('running', 10);
    const parent = await task('succeeded', 10);
    const child = await task('running', 10, parent);
    const oldExited = await session('exited', 9);
    const oldLost = await session('lost', 20);
    const recentExited = await session('exited', 1);
    const idle = await session('idle', 30);

    const removed = await pruneEnded(db(), 7);
    expect(removed).toEqual({ tasks: 2, sessions: 2 });
    const kept = [recentDone, oldRunning, parent, child].sort();
    const keptSessions = [recentExited, idle].sort();
    const all = [oldDone, oldFailed, recentDone, oldRunning, parent, child, oldExited, oldLost, recentExited, idle];
    expect(await left(all)).toEqual({
      tasks: kept,
      sessions: keptSessions,
      eventOwners: [...kept, ...keptSessions].sort(),
      tokenOwners: kept,
      messagesTo: keptSessions,
    });
  });

  it('runs hourly as one BullMQ job scheduler, taken by the API', async () => {
    const queue = new Queue(queueNames.maintenance, { connection: system.core.redis, prefix: system.config.queuePrefix });
    const [scheduler] = await queue.getJobSchedulers();
    expect(scheduler).toMatchObject({ key: 'retention', every: 3_600_000 });

    const old = await task('cancelled', 8);
    const queueEvents = new QueueEvents(queueNames.maintenance, {
      connection: system.core.redis.duplicate(),
      prefix: system.config.queuePrefix,
    });
    await queueEvents.waitUntilReady();
    const job = await queue.add('retention', {});
    await job.waitUntilFinished(queueEvents, 30_000);
    expect((await left([old])).tasks).toEqual([]);
    await queueEvents.close();
    await queue.close();
  });

  it('an API started with MISSION_RETENTION_DAYS=0 (the default) removes the schedule', async () => {
    const keeping = await startTestSystem({ inProcessWorker: false, env: { MISSION_QUEUE_PREFIX: system.config.queuePrefix } });
    const queue = new Queue(queueNames.maintenance, { connection: keeping.core.redis, prefix: system.config.queuePrefix });
    await expect.poll(async () => (await queue.getJobSchedulers()).length).toBe(0);
    await queue.close();
    await keeping.close();
  });
});
