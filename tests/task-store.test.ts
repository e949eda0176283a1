import { randomUUID } from 'node:crypto';
import { newId } from '@mission/contracts';
import { EventLog, tables, TaskStore, WorkerRegistration } from '@mission/store';
import { inArray, sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { uniquePrefix } from './support/isolation.ts';
import { useStoreTestBed, withEventsRefused } from './support/storeTestBed.ts';

// F3: a task's row and its state event commit together, on real Postgres and Redis.
describe('TaskStore', () => {
  const bed = useStoreTestBed('task-store');
  let store: TaskStore;
  beforeAll(() => {
    store = new TaskStore({ db: bed.db, events: bed.events });
  });
  // The `running` events claims store and publish in the background: none may fail to go out on a working Redis.
  const unpublished: unknown[] = [];
  const claim = (taskId: string, workerId: string, servedSlots: string[] | undefined) =>
    store.claim(taskId, workerId, servedSlots, (error) => unpublished.push(error));
  afterEach(() => {
    expect(unpublished).toEqual([]);
  });

  const draft = (slot = 'store') => ({ id: newId('task'), slot, mode: 'submit', prompt: 'p', priority: 50, timeoutMs: 60_000 });
  const submitted = async () => {
    const outcome = await store.submit(draft(), new Date());
    if (!outcome.task) throw new Error(`submit refused: ${outcome.refused}`);
    return outcome.task;
  };
  const running = async () => {
    const task = await submitted();
    const claimed = (await claim(task.id, 'worker-a', undefined))?.task;
    return { id: claimed!.id, workerId: 'worker-a', attempts: claimed!.attempts };
  };
  const statusOf = async (id: string) =>
    (await bed.db.select({ status: tables.tasks.status }).from(tables.tasks).where(sql`id = ${id}`))[0]?.status;
  const states = async (id: string) =>
    (await bed.events.list(id)).filter((e) => e.type === 'state').map((e) => (e.payload as { state: string }).state);

  it('ends a task with its terminal event, or not at all when the event cannot be stored', async () => {
    const lease = await running();
    expect(await states(lease.id)).toEqual(['queued', 'running']);
    await withEventsRefused(bed.db, async () => {
      await expect(store.complete(lease, { status: 'succeeded', error: null })).rejects.toThrow();
      expect(await statusOf(lease.id)).toBe('running');
    });

    expect(await store.complete(lease, { status: 'succeeded', error: null })).toBe(true);
    expect(await statusOf(lease.id)).toBe('succeeded');
    expect(await states(lease.id)).toEqual(['queued', 'running', 'succeeded']);
  });

  it("a worker's heartbeat touches the rows of the tasks it names that it runs, and no other", async () => {
    const registration = new WorkerRegistration(bed.db, { id: 'worker-a', capacity: 2, maxSessions: 0, slots: undefined });
    await registration.register();
    const mine = await running();
    const named = await running();
    const unnamed = await running();
    const ended = await running();
    expect(await store.complete(ended, { status: 'succeeded', error: null })).toBe(true);
    const other = await submitted();
    await claim(other.id, 'worker-b', undefined);
    const ids = [mine.id, named.id, unnamed.id, ended.id, other.id];
    const updatedAt = async () =>
      new Map(
        (
          await bed.db.select({ id: tables.tasks.id, at: tables.tasks.updatedAt }).from(tables.tasks).where(inArray(tables.tasks.id, ids))
        ).map((row) => [row.id, row.at.getTime()]),
      );
    await bed.db.update(tables.tasks).set({ updatedAt: sql`now() - interval '1 minute'` }).where(inArray(tables.tasks.id, ids));
    const before = await updatedAt();
    expect(await registration.heartbeat([mine.id, named.id, ended.id, other.id])).toBe(true);
    const after = await updatedAt();
    // Running here and named: touched. Not named, ended, or another worker's: as they were.
    for (const id of [mine.id, named.id]) expect(after.get(id)).toBeGreaterThan(before.get(id)!);
    for (const id of [unnamed.id, ended.id, other.id]) expect(after.get(id)).toBe(before.get(id));
  });

  it('writes nothing for a lease that no longer holds (another attempt, another worker)', async () => {
    const lease = await running();
    expect(await store.complete({ ...lease, attempts: lease.attempts + 1 }, { status: 'failed', error: 'stale' })).toBe(false);
    expect(await store.complete({ ...lease, workerId: 'worker-b' }, { status: 'failed', error: 'stale' })).toBe(false);
    expect(await store.markPromptDelivered({ ...lease, workerId: 'worker-b' }, randomUUID())).toBe(false);
    expect(await statusOf(lease.id)).toBe('running');
    const [row] = await bed.db.select().from(tables.tasks).where(sql`id = ${lease.id}`);
    expect(row).toMatchObject({ promptDeliveredAt: null, claudeSessionId: null });
    expect(await states(lease.id)).toEqual(['queued', 'running']);
  });

  it('claims in one statement: the task running with its `running` event stored, its slot and role read with it; a second claim takes nothing', async () => {
    const task = await submitted();
    expect(await claim(task.id, 'worker-a', ['elsewhere'])).toBeNull(); // a slot the worker does not serve
    const claimed = await claim(task.id, 'worker-a', ['elsewhere', 'store']);
    expect(claimed?.task).toMatchObject({ id: task.id, status: 'running', workerId: 'worker-a', attempts: 1 });
    expect(claimed?.task.startedAt).toBeInstanceOf(Date);
    expect(claimed?.slot).toMatchObject({ slot: { id: 'store' }, role: { name: 'default', version: 0 } });
    expect(await states(task.id)).toEqual(['queued', 'running']);
    expect(await claim(task.id, 'worker-b', undefined)).toBeNull();
    expect(await claim(task.id, 'worker-b', ['elsewhere'])).toBeNull();
    expect(await states(task.id)).toEqual(['queued', 'running']);
  });

  it('a claim whose `running` event cannot be published still holds: the event is stored and the failure told', async () => {
    const task = await submitted();
    // A publisher that cannot send: never connected, and commands are refused instead of queued.
    const refusing = new Redis({ lazyConnect: true, enableOfflineQueue: false });
    // The connection reports the refusal as an error event too: all of them must be that refusal.
    const connectionErrors: unknown[] = [];
    refusing.on('error', (error) => connectionErrors.push(error));
    const told: unknown[] = [];
    try {
      const offline = new TaskStore({ db: bed.db, events: new EventLog(bed.db, refusing, uniquePrefix()) });
      const claimed = await offline.claim(task.id, 'worker-a', undefined, (error) => told.push(error));
      expect(claimed?.task).toMatchObject({ id: task.id, status: 'running', workerId: 'worker-a' });
      expect(await states(task.id)).toEqual(['queued', 'running']);
      await claimed?.published;
      expect(told).toHaveLength(1);
      expect(String(told[0])).toMatch(/enableOfflineQueue/);
      expect(connectionErrors.every((error) => /enableOfflineQueue/.test(String(error)))).toBe(true);
    } finally {
      refusing.disconnect();
    }
  });

  it('notes the prompt delivered and its Claude session in one write while the lease holds', async () => {
    const lease = await running();
    const claudeSessionId = randomUUID();
    expect(await store.markPromptDelivered(lease, claudeSessionId)).toBe(true);
    const [row] = await bed.db.select().from(tables.tasks).where(sql`id = ${lease.id}`);
    expect(row?.claudeSessionId).toBe(claudeSessionId);
    expect(row?.promptDeliveredAt).toBeInstanceOf(Date);
  });

  it('submits in one statement: the row as given with its defaults and its `queued` event; an idempotency key taken inserts nothing', async () => {
    const values = { ...draft(), idempotencyScope: 'tok_a', idempotencyKey: randomUUID(), metadata: { n: 1 } };
    const outcome = await store.submit(values, new Date());
    expect(outcome.task).toMatchObject({ ...values, status: 'queued', retry: 'never', maxAttempts: 3, attempts: 0, error: null });
    expect(outcome.task?.createdAt).toBeInstanceOf(Date);
    expect(await states(values.id)).toEqual(['queued']);

    // A value left out is SQL NULL (not a JSON null), as an insert's `values` would store it.
    const plain = (await submitted()).id;
    expect(await bed.db.execute(sql`select id from tasks where id = ${plain} and metadata is null and retry = 'never'`)).toHaveLength(1);

    const again = { ...values, id: newId('task') };
    expect(await store.submit(again, new Date())).toEqual({ refused: 'idempotency_key_taken' });
    expect(await statusOf(again.id)).toBeUndefined();
    expect(await states(again.id)).toEqual([]);
  });

  it('refuses a submit to a slot that does not exist, or whose tasks and sessions spent its daily budget today', async () => {
    const unknown = draft('nowhere');
    expect(await store.submit(unknown, new Date())).toEqual({ refused: 'unknown_slot' });
    expect(await states(unknown.id)).toEqual([]);

    const slot = `budget-${randomUUID()}`;
    await bed.db.insert(tables.slots).values({ id: slot, cwd: '/tmp', source: 'api', dailyBudgetUsd: 1 });
    const dayStart = new Date(Date.now() - 60_000);
    const spend = async (costUsd: number, finishedAt: Date) => {
      const task = (await store.submit(draft(slot), dayStart)).task!;
      await bed.db.update(tables.tasks).set({ status: 'succeeded', costUsd, finishedAt }).where(sql`id = ${task.id}`);
    };
    await spend(0.6, new Date());
    await spend(5, new Date(dayStart.getTime() - 1)); // yesterday's spend counts not
    await bed.db.insert(tables.sessions).values({ id: newId('ses'), slot, state: 'ended', costUsd: 0.3, costAt: new Date() });
    expect((await store.submit(draft(slot), dayStart)).task?.status).toBe('queued');

    await spend(0.1, new Date());
    const refused = draft(slot);
    expect(await store.submit(refused, dayStart)).toEqual({
      refused: 'daily_budget_spent',
      dailyBudgetUsd: 1,
      spentUsd: expect.closeTo(1, 9),
    });
    expect(await states(refused.id)).toEqual([]);
  });

  it("stores a run's output under its lease and ends it with its outcome, its last output and error before its state, few events or many", async () => {
    const say = (text: string) => ({ type: 'assistant_message' as const, payload: { text } });
    const outcome = { result: 'done', costUsd: 0.25, usage: { input_tokens: 3 }, durationMs: 40, numTurns: 2 };
    for (const lastOutput of [[say('last')], Array.from({ length: 6 }, (_, i) => say(`line ${i}`))]) {
      const lease = await running();
      expect(
        (await bed.events.appendFenced({ kind: 'task', id: lease.id }, [say('first')], store.fence(lease)))?.map((e) => e.seq),
      ).toEqual([3]);
      const elsewhere = store.fence({ ...lease, workerId: 'worker-b' });
      expect(await bed.events.appendFenced({ kind: 'task', id: lease.id }, [say('not mine')], elsewhere)).toBeNull();
      const errorEvent = { code: 'failed', message: 'it broke' };
      expect(await store.complete(lease, { status: 'failed', error: 'it broke', outcome, output: lastOutput, errorEvent })).toBe(true);
      const [row] = await bed.db.select().from(tables.tasks).where(sql`id = ${lease.id}`);
      expect(row).toMatchObject({ status: 'failed', error: 'it broke', ...outcome });
      expect((await bed.events.list(lease.id)).map((e) => [e.seq, e.type, e.payload])).toEqual(
        [
          ['state', { state: 'queued' }],
          ['state', { state: 'running' }],
          ['assistant_message', { text: 'first' }],
          ...lastOutput.map((draft) => [draft.type, draft.payload]),
          ['error', errorEvent],
          ['state', { state: 'failed', reason: 'it broke' }],
        ].map(([type, payload], i) => [i + 1, type, payload]),
      );
    }
  });

  it('refuses a move its table does not allow before touching the database', async () => {
    const lease = await running();
    await expect(store.complete(lease, { status: 'running' as never, error: null })).rejects.toThrow(
      'a task cannot move from running to running',
    );
  });
});
