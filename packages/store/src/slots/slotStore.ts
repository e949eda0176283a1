import { asc, eq, isNotNull, sql } from 'drizzle-orm';
import { type Database, hot } from '../db/database.ts';
import { slots } from '../db/schema.ts';

export type SlotRow = typeof slots.$inferSelect;
/** What a slot is written with: every column but its id and timestamps. */
export type SlotValues = Omit<typeof slots.$inferInsert, 'id' | 'createdAt' | 'updatedAt'>;

/** Every slot, by id. */
export async function listSlotRows(db: Database): Promise<SlotRow[]> {
  return db.select().from(slots).orderBy(asc(slots.id));
}

export async function slotRow(db: Database, id: string): Promise<SlotRow | undefined> {
  const [row] = await hot(db.select().from(slots).where(eq(slots.id, id)));
  return row;
}

export async function slotExists(db: Database, id: string): Promise<boolean> {
  const [row] = await db.select({ id: slots.id }).from(slots).where(eq(slots.id, id));
  return row !== undefined;
}

/** The ids of every slot, sorted. */
export async function slotIds(db: Database): Promise<string[]> {
  return (await db.select({ id: slots.id }).from(slots).orderBy(asc(slots.id))).map((row) => row.id);
}

/** Creates the slot or replaces its values, touching `updatedAt`. */
export async function upsertSlot(db: Database, id: string, values: SlotValues): Promise<SlotRow> {
  const [row] = await db
    .insert(slots)
    .values({ id, ...values })
    .onConflictDoUpdate({ target: slots.id, set: { ...values, updatedAt: sql`now()` } })
    .returning();
  return row!;
}

/** The slots that set a `warmPool`. */
export async function warmPoolSlotRows(db: Database): Promise<SlotRow[]> {
  return db.select().from(slots).where(isNotNull(slots.warmPool));
}

/** Every slot's env (what its claude processes run with). */
export async function slotEnvs(db: Database): Promise<Record<string, string>[]> {
  return (await db.select({ env: slots.env }).from(slots)).map((row) => row.env);
}
