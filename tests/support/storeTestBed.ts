import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRedis, type DatabaseHandle, EventLog, openDatabase, tables } from '@mission/store';
import { sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase, redisUrl, type TestDatabase, uniquePrefix } from './isolation.ts';

/** What a store's tests work on: a migrated database of the file's own, and an event log publishing to real Redis. */
export interface StoreTestBed {
  db: DatabaseHandle['db'];
  events: EventLog;
}

/** Sets the bed up before the file's tests (with one slot, `store`) and takes it down after them. */
export function useStoreTestBed(name: string): StoreTestBed {
  const bed = {} as StoreTestBed;
  let database: TestDatabase | undefined;
  let handle: DatabaseHandle | undefined;
  let publisher: Redis | undefined;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `mission-${name}-`));

  beforeAll(async () => {
    database = await createTestDatabase();
    handle = await openDatabase({ url: database.url, dataDir });
    publisher = createRedis(redisUrl(), `${name}-test`);
    bed.db = handle.db;
    bed.events = new EventLog(handle.db, publisher, uniquePrefix());
    await handle.db.insert(tables.slots).values({ id: 'store', cwd: dataDir, source: 'api' });
  });
  afterAll(async () => {
    publisher?.disconnect();
    await handle?.close();
    await database?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  return bed;
}

/** Runs `write` while Postgres refuses every event insert (a trigger), so a transaction that stores one must fail whole. */
export async function withEventsRefused(db: StoreTestBed['db'], write: () => Promise<unknown>): Promise<void> {
  await db.execute(
    sql.raw(`
      create function refuse_event() returns trigger language plpgsql as $$ begin raise exception 'event refused'; end $$;
      create trigger refuse_event before insert on events for each row execute function refuse_event();`),
  );
  try {
    await write();
  } finally {
    await db.execute(sql.raw('drop trigger refuse_event on events; drop function refuse_event();'));
  }
}
