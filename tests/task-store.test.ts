import { randomUUID } from 'node:crypto';
import { newId } from '@mission/contracts';
import { tables, TaskStore } from '@mission/store';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { useStoreTestBed, withEventsRefused } from './support/storeTestBed.ts';

// F3: a task's row and its state event commit together, on real Postgres and Redis.
describe('TaskStore', () => {
  const bed = useStoreTestBed('task-store');
  let store: TaskStore;
  beforeAll(() => {
    store = new TaskStore({ db: bed.db, events: bed.events });
  });

  const running = async () => {
    const task = await store.submit({ id: newId('task'), slot: 'store', mode: 'submit', prompt: 'p', priority: 50, timeoutMs: 60_000 });
    const claimed = (await store.claim(task!.id, 'worker-a', undefined))?.task;
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
    const task = await store.submit({ id: newId('task'), slot: 'store', mode: 'submit', prompt: 'p', priority: 50, timeoutMs: 60_000 });
    const claimed = await store.claim(task!.id, 'worker-a', undefined);
    expect(claimed?.task).toMatchObject({ id: task!.id, status: 'running', workerId: 'worker-a', attempts: 1 });
    expect(claimed?.task.startedAt).toBeInstanceOf(Date);
    expect(claimed?.slot).toMatchObject({ slot: { id: 'store' }, role: { name: 'default', version: 0 } });
    expect(await states(task!.id)).toEqual(['queued', 'running']);
    expect(await store.claim(task!.id, 'worker-b', undefined)).toBeNull();
    expect(await store.claim(task!.id, 'worker-b', ['elsewhere'])).toBeNull();
    expect(await states(task!.id)).toEqual(['queued', 'running']);
  });

  it('notes the prompt delivered and its Claude session in one write while the lease holds', async () => {
    const lease = await running();
    const claudeSessionId = randomUUID();
    expect(await store.markPromptDelivered(lease, claudeSessionId)).toBe(true);
    const [row] = await bed.db.select().from(tables.tasks).where(sql`id = ${lease.id}`);
    expect(row?.claudeSessionId).toBe(claudeSessionId);
    expect(row?.promptDeliveredAt).toBeInstanceOf(Date);
  });

  it('refuses a move its table does not allow before touching the database', async () => {
    const lease = await running();
    await expect(store.complete(lease, { status: 'running' as never, error: null })).rejects.toThrow(
      'a task cannot move from running to running',
    );
  });
});
