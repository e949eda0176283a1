import { desc, eq, sql } from 'drizzle-orm';
import { builtOnce, type Database } from '../db/database.ts';
import { apiTokens, sessions, slots, tasks } from '../db/schema.ts';

export type ApiTokenRow = typeof apiTokens.$inferSelect;

export async function insertApiToken(
  db: Database,
  values: { id: string; name: string; secretHash: string; scopes: string[]; createdBy: string },
): Promise<ApiTokenRow> {
  const [row] = await db.insert(apiTokens).values(values).returning();
  return row!;
}

/** Every token, newest first. */
export async function listApiTokenRows(db: Database): Promise<ApiTokenRow[]> {
  return db.select().from(apiTokens).orderBy(desc(apiTokens.createdAt));
}

/** Read to verify a token the API has not verified lately (each token once per cache TTL, an agent's at its first call). */
export async function apiTokenRow(db: Database, id: string): Promise<ApiTokenRow | undefined> {
  const [row] = await tokenById(db).execute({ id });
  return row;
}

const tokenById = builtOnce((db) =>
  db
    .select()
    .from(apiTokens)
    .where(eq(apiTokens.id, sql.placeholder('id')))
    .prepare('api_token_by_id'),
);

/** Revokes the token (keeping the first revocation time); undefined when there is no such token. */
export async function revokeApiToken(db: Database, id: string): Promise<ApiTokenRow | undefined> {
  const [row] = await db
    .update(apiTokens)
    .set({ revokedAt: sql`coalesce(${apiTokens.revokedAt}, now())` })
    .where(eq(apiTokens.id, id))
    .returning();
  return row;
}

export async function touchApiToken(db: Database, id: string): Promise<void> {
  await db.update(apiTokens).set({ lastUsedAt: sql`now()` }).where(eq(apiTokens.id, id));
}

/** A session's state and its slot's role (null when the slot is gone); undefined when there is no such session. */
export async function sessionStateAndRole(db: Database, id: string): Promise<{ state: string; role: string | null } | undefined> {
  const [session] = await db
    .select({ state: sessions.state, role: slots.role })
    .from(sessions)
    .leftJoin(slots, eq(slots.id, sessions.slot))
    .where(eq(sessions.id, id));
  return session;
}

/** A task's status and its slot's role (null when the slot is gone); undefined when there is no such task. */
export async function taskStatusAndRole(db: Database, id: string): Promise<{ status: string; role: string | null } | undefined> {
  const [task] = await db
    .select({ status: tasks.status, role: slots.role })
    .from(tasks)
    .leftJoin(slots, eq(slots.id, tasks.slot))
    .where(eq(tasks.id, id));
  return task;
}
