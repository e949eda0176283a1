import { desc, eq, or } from 'drizzle-orm';
import type { EventOwner } from '@mission/contracts';
import type { Database } from '../db/database.ts';
import { type ActionReceiptRow, actionReceipts, type ApprovalRow, approvals, sessions, slots, tasks } from '../db/schema.ts';

/** A receipt with the approval it waited for (null when it was not gated). */
export interface ReceiptWithApproval {
  receipt: ActionReceiptRow;
  approval: ApprovalRow | null;
}

/** The receipt `id`, or the one of the approval `id`. */
export async function receiptWithApproval(db: Database, id: string): Promise<ReceiptWithApproval | undefined> {
  const [found] = await db
    .select({ receipt: actionReceipts, approval: approvals })
    .from(actionReceipts)
    .leftJoin(approvals, eq(approvals.id, actionReceipts.approvalId))
    .where(or(eq(actionReceipts.id, id), eq(actionReceipts.approvalId, id)));
  return found;
}

/** Receipts, newest first, optionally of one session or task. */
export async function listReceiptsWithApprovals(db: Database, query: { owner?: string; limit: number }): Promise<ReceiptWithApproval[]> {
  return db
    .select({ receipt: actionReceipts, approval: approvals })
    .from(actionReceipts)
    .leftJoin(approvals, eq(approvals.id, actionReceipts.approvalId))
    .where(query.owner ? eq(actionReceipts.ownerId, query.owner) : undefined)
    .orderBy(desc(actionReceipts.createdAt))
    .limit(query.limit);
}

export async function insertReceipt(db: Database, values: typeof actionReceipts.$inferInsert): Promise<ActionReceiptRow> {
  const [row] = await db.insert(actionReceipts).values(values).returning();
  return row!;
}

/** The slot of a session or task and its slot's role (null when the slot is gone); undefined when there is no such owner. */
export async function ownerSlotAndRole(db: Database, owner: EventOwner): Promise<{ slot: string; role: string | null } | undefined> {
  const table = owner.kind === 'task' ? tasks : sessions;
  const [row] = await db
    .select({ slot: table.slot, role: slots.role })
    .from(table)
    .leftJoin(slots, eq(slots.id, table.slot))
    .where(eq(table.id, owner.id));
  return row;
}
