import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { newId } from '@mission/contracts';
import { createRedis, type DatabaseHandle, EventLog, openDatabase, tables, TaskStore } from '@mission/store';
import { sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, redisUrl, type TestDatabase, uniquePrefix } from './support/isolation.ts';

// F3: a task's row and its state event commit together, on real Postgres and Redis.
describe('TaskStore', () => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let publisher: Redis;
  let events: EventLog;
  let store: TaskStore;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-task-store-'));

  beforeAll(async () => {
    database = await createTestDatabase();
    handle = await openDatabase({ url: database.url, dataDir });
    publisher = createRedis(redisUrl(), 'task-store-test');
    events = new EventLog(handle.db, publisher, uniquePrefix());
    store = new TaskStore({ db: handle.db, events });
    await handle.db.insert(tables.slots).values({ id: 'store', cwd: dataDir, source: 'api' });
  });
  afterAll(async () => {
    publisher?.disconnect();
    await handle?.close();
    await database?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const running = async () => {
    const task = await store.submit({ id: newId('task'), slot: 'store', mode: 'submit', prompt: 'p', priority: 50, timeoutMs: 60_000 });
    const claimed = await store.claim(task!.id, 'worker-a', undefined);
    return { id: claimed!.id, workerId: 'worker-a', attempts: claimed!.attempts };
  };
  const statusOf = async (id: string) => (await handle.db.select({ status: tables.tasks.status }).from(tables.tasks).where(sql`id = ${id}`))[0]?.status;
  const states = async (id: string) => (await events.list(id)).filter((e) => e.type === 'state').map((e) => (e.payload as { state: string }).state);

  it('ends a task with its terminal event, or not at all when the event cannot be stored', async () => {
    const lease = await running();
    expect(await states(lease.id)).toEqual(['queued', 'running']);
    await handle.db.execute(sql.raw(`
      create function refuse_event() returns trigger language plpgsql as $$ begin raise exception 'event refused'; end $$;
      create trigger refuse_event before insert on events for each row execute function refuse_event();`));
    await expect(store.complete(lease, { status: 'succeeded', error: null })).rejects.toThrow();
    expect(await statusOf(lease.id)).toBe('running');
    await handle.db.execute(sql.raw('drop trigger refuse_event on events; drop function refuse_event();'));

    expect(await store.complete(lease, { status: 'succeeded', error: null })).toBe(true);
    expect(await statusOf(lease.id)).toBe('succeeded');
    expect(await states(lease.id)).toEqual(['queued', 'running', 'succeeded']);
  });

  it('writes nothing for a lease that no longer holds (another attempt, another worker)', async () => {
    const lease = await running();
    expect(await store.complete({ ...lease, attempts: lease.attempts + 1 }, { status: 'failed', error: 'stale' })).toBe(false);
    expect(await store.complete({ ...lease, workerId: 'worker-b' }, { status: 'failed', error: 'stale' })).toBe(false);
    expect(await store.markPromptDelivered({ ...lease, workerId: 'worker-b' })).toBe(false);
    expect(await statusOf(lease.id)).toBe('running');
    expect(await states(lease.id)).toEqual(['queued', 'running']);
  });

  it('refuses a move its table does not allow before touching the database', async () => {
    const lease = await running();
    await expect(store.complete(lease, { status: 'running' as never, error: null })).rejects.toThrow('a task cannot move from running to running');
  });
});
