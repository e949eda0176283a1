import { and, asc, eq, gt, lte, type SQL, sql } from 'drizzle-orm';
import type { EventOwner } from '@mission/contracts';
import type { Database } from '../db/database.ts';
import { slotPauses } from '../db/schema.ts';
import type { EventLog } from '../eventLog.ts';

export type SlotPauseRow = typeof slotPauses.$inferSelect;

/**
 * The one writer of slot pauses: a slot whose agent hit Claude's usage or rate limit starts nothing new
 * until the reset. Pausing and resuming each store the row change with the event telling it
 * (`slot_paused`, `slot_resumed`) on the task or session that hit the limit, in one transaction.
 */
export class SlotPauses {
  constructor(private readonly deps: { db: Database; events: EventLog }) {}

  /**
   * Pauses `slot` until `until` (a pause already on keeps the later end). The `slot_paused` event goes on
   * `owner` when this starts the pause or moves its end; resolves the pause in force.
   */
  async pause(slot: string, until: Date, reason: string, owner: EventOwner): Promise<SlotPauseRow> {
    return this.deps.events.transaction(async (tx, record) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`mission-slot-pause:${slot}`}))`);
      const [current] = await tx.select().from(slotPauses).where(eq(slotPauses.slot, slot));
      if (current && current.pausedUntil >= until) return current;
      const values = { pausedUntil: until, reason, ownerKind: owner.kind, ownerId: owner.id };
      const [row] = await tx
        .insert(slotPauses)
        .values({ slot, ...values })
        .onConflictDoUpdate({ target: slotPauses.slot, set: values })
        .returning();
      record(owner, { type: 'slot_paused', payload: { slot, until: until.toISOString(), reason } });
      return row!;
    });
  }

  /** Ends the pauses whose time came, each with `slot_resumed` (by `reset`); resolves the slots resumed. */
  async resumeDue(): Promise<string[]> {
    return (await this.end(lte(slotPauses.pausedUntil, sql`now()`), 'reset')).map((row) => row.slot);
  }

  /** Ends `slot`'s pause now (an admin's early resume); resolves the pause ended, or undefined when none was on. */
  async resume(slot: string, by: string): Promise<SlotPauseRow | undefined> {
    const [row] = await this.end(eq(slotPauses.slot, slot), by);
    return row;
  }

  private async end(where: SQL | undefined, by: string): Promise<SlotPauseRow[]> {
    return this.deps.events.transaction(async (tx, record) => {
      const rows = await tx.delete(slotPauses).where(where).returning();
      for (const row of rows)
        record({ kind: row.ownerKind as EventOwner['kind'], id: row.ownerId }, { type: 'slot_resumed', payload: { slot: row.slot, by } });
      return rows;
    });
  }
}

/** `slot`'s pause while it is on (its end still ahead), or undefined. */
export async function activeSlotPause(db: Database, slot: string): Promise<SlotPauseRow | undefined> {
  const [row] = await db
    .select()
    .from(slotPauses)
    .where(and(eq(slotPauses.slot, slot), gt(slotPauses.pausedUntil, sql`now()`)));
  return row;
}

/** The pauses on (their end still ahead), by slot. */
export async function listSlotPauses(db: Database): Promise<SlotPauseRow[]> {
  return db.select().from(slotPauses).where(gt(slotPauses.pausedUntil, sql`now()`)).orderBy(asc(slotPauses.slot));
}
