import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import * as schema from './schema.ts';

export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;
/** The handle `Database.transaction` gives its callback. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

/**
 * Runs a hot query as a prepared statement: postgres.js keeps it per connection, keyed by its text, so every later
 * run skips parsing it and the describe round trip an unnamed statement with parameters costs. Only for queries of
 * a fixed shape: each distinct text stays prepared for the connection's life.
 */
export function hot<T>(query: { prepare(name: string): { execute(): Promise<T> } }): Promise<T> {
  return query.prepare('hot').execute();
}

/**
 * A statement of a fixed shape built (with placeholders) and prepared once per database, then only run: building a
 * query costs drizzle more CPU than running it takes postgres.js. For hot queries of free functions; `build` runs at
 * the first use on each database.
 */
export function builtOnce<T>(build: (db: Database) => T): (db: Database) => T {
  const built = new WeakMap<Database, T>();
  return (db) => {
    let statement = built.get(db);
    if (statement === undefined) built.set(db, (statement = build(db)));
    return statement;
  };
}

/** Statements writing up to this many event rows are prepared; a longer burst's is built for its call and not kept. */
export const PREPARED_MAX_ROWS = 4;

interface Runnable<T> {
  execute(values: Record<string, unknown>): Promise<T>;
}

/**
 * Statements whose shape follows the number of event rows they write (and a few choices, named by `key`): each shape
 * of up to {@link PREPARED_MAX_ROWS} rows is built once and prepared as `<prefix>_<key>`; a larger one is built for
 * its call and not kept (each distinct text stays prepared for a connection's life).
 */
export class PreparedShapes<T> {
  private readonly statements = new Map<string, Runnable<T>>();

  constructor(private readonly prefix: string) {}

  execute(
    key: string,
    rows: number,
    build: () => Runnable<T> & { prepare(name: string): Runnable<T> },
    values: Record<string, unknown>,
  ): Promise<T> {
    if (rows > PREPARED_MAX_ROWS) return build().execute(values);
    let statement = this.statements.get(key);
    if (!statement) this.statements.set(key, (statement = build().prepare(`${this.prefix}_${key}`)));
    return statement.execute(values);
  }
}

export interface DatabaseHandle {
  db: Database;
  kind: 'postgres' | 'pglite';
  /** Where it lives, without credentials: for logs. */
  location: string;
  ping(): Promise<void>;
  close(): Promise<void>;
}

const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));
/** Any constant will do: it keeps two processes starting together from migrating at the same time. */
const MIGRATION_LOCK_ID = 7_140_215;

/**
 * Opens the system of record and brings its schema up to date: PostgreSQL when a URL is given,
 * else embedded PGlite in `<dataDir>/pgdata` (one process only).
 */
export async function openDatabase(options: { url: string | undefined; dataDir: string }): Promise<DatabaseHandle> {
  return options.url ? openPostgres(options.url) : openPglite(path.join(options.dataDir, 'pgdata'));
}

const ignoreNotice = () => {
  // Postgres notices ("already exists, skipping" while migrating) are no news: not logged.
};

/**
 * A postgres.js client as Mission opens them. `fetch_types: false`: postgres.js would otherwise send, on each new
 * connection's first ReadyForQuery, a query for the array types, from a promise nobody awaits (postgres.js 3.4.9,
 * porsager/postgres#1192), so a connection dropped at that moment ended the process with an unhandled rejection.
 * Mission's queries therefore never bind or read a Postgres array: lists travel as jsonb.
 */
function postgresClient(url: string, max: number): postgres.Sql {
  return postgres(url, { max, fetch_types: false, onnotice: ignoreNotice });
}

async function openPostgres(url: string): Promise<DatabaseHandle> {
  await migratePostgresWithLock(url);
  const client = postgresClient(url, 10);
  const db = drizzlePostgres(client, { schema }) as unknown as Database;
  return {
    db,
    kind: 'postgres',
    location: redactUrl(url),
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: () => client.end({ timeout: 5 }),
  };
}

async function migratePostgresWithLock(url: string): Promise<void> {
  const client = postgresClient(url, 1);
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
    await migratePostgres(drizzlePostgres(client), { migrationsFolder });
    await client`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`;
  } finally {
    await client.end({ timeout: 5 });
  }
}

async function openPglite(dir: string): Promise<DatabaseHandle> {
  fs.mkdirSync(dir, { recursive: true });
  const client = await PGlite.create(dir);
  const pglite = drizzlePglite(client, { schema });
  await migratePglite(pglite, { migrationsFolder });
  const db = pglite as unknown as Database;
  return {
    db,
    kind: 'pglite',
    location: dir,
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: () => client.close(),
  };
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres';
  }
}

/** The SQLSTATE of a failed query, looking through drizzle's wrapper. */
export function sqlStateOf(error: unknown): string | undefined {
  for (let e: unknown = error; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

export const UNIQUE_VIOLATION = '23505';
