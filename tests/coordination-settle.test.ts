import { tables } from '@mission/store';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settleCoordination } from '../services/worker/src/coordinationProcessor.ts';
import { waitUntil } from './support/processes.ts';
import { startTestSystem, type TestSystem } from './support/system.ts';

const { tasks } = tables;

// Seen by the fault harness (docs/faults.md, F9): a child's job ended with its lost run while the task ran again,
// the flow's parent job settled the coordination `failed` with the child "running", and the child then succeeded.
describe('settling a coordination', () => {
  let system: TestSystem;
  beforeAll(async () => {
    // No worker: the children stay queued and the test settles the coordination itself.
    system = await startTestSystem({ inProcessWorker: false, slots: { alpha: { cwd: process.cwd() }, beta: { cwd: process.cwd() } } });
  });
  afterAll(async () => system?.close());

  it('settles nothing while a child has not ended, and the outcome once every child has', async () => {
    const asked = new AbortController();
    const call = system
      .fetch('/v1/coordinate', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ goal: 'settle', tasks: { alpha: 'a', beta: 'b' }, failurePolicy: 'collect_all' }),
        signal: asked.signal,
      })
      .catch(() => undefined);
    const { db } = system.core.database;
    try {
      const children = async () =>
        db
          .select({ id: tasks.id, parentId: tasks.parentId })
          .from(tasks)
          .where(sql`${tasks.parentId} in (select id from ${tasks} where mode = 'coordinate')`);
      await waitUntil(async () => (await children()).length === 2, 10_000, 'the children');
      const [first, second] = await children();
      const coordinationId = first!.parentId!;
      const statusOf = async (id: string) => (await db.select({ status: tasks.status }).from(tasks).where(eq(tasks.id, id)))[0]!.status;
      const logger = system.core.logger;

      await db.update(tasks).set({ status: 'succeeded', finishedAt: new Date() }).where(eq(tasks.id, first!.id));
      await db.update(tasks).set({ status: 'running' }).where(eq(tasks.id, second!.id));
      await settleCoordination({ db, events: system.core.events, logger }, coordinationId);
      expect(await statusOf(coordinationId)).toBe('running');
      expect(
        (await system.core.events.list(coordinationId))
          .filter((e) => e.type === 'state')
          .map((e) => (e.payload as { state: string }).state),
      ).toEqual(['running']);

      await db.update(tasks).set({ status: 'succeeded', finishedAt: new Date() }).where(eq(tasks.id, second!.id));
      await settleCoordination({ db, events: system.core.events, logger }, coordinationId);
      expect(await statusOf(coordinationId)).toBe('succeeded');
    } finally {
      asked.abort();
      await call;
    }
  });
});
