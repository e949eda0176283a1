import { and, desc, eq, gte, inArray, isNotNull, lte, sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { actionReceipts, apiTokens, approvals, auditEntries, permissionDecisions, roleVersions } from '../db/schema.ts';

/** One row of `audit_entries`: a change that has no history table of its own. */
export interface AuditEntryValues {
  kind: string;
  actor: string;
  target: string;
  details: Record<string, unknown>;
}

export async function insertAuditEntry(db: Database, entry: AuditEntryValues): Promise<void> {
  await db.insert(auditEntries).values(entry);
}

export interface AuditTrailFilter {
  since?: string;
  until?: string;
  actor?: string;
  subject?: string;
  kind?: string[];
  limit: number;
}

export interface AuditTrailRow {
  id: string;
  kind: string;
  at: Date;
  actor: string;
  subject: string | null;
  target: string;
  details: Record<string, unknown>;
}

const text = (value: string) => sql<string>`${value}::text`;

/**
 * The audit trail, read where each thing is recorded already: permission decisions, approvals (asked and
 * decided), receipts, role versions and API tokens, plus `audit_entries` for the changes without a table
 * of their own. One query: a UNION ALL in a common shape, filtered and ordered newest first.
 */
export async function auditTrail(db: Database, filter: AuditTrailFilter): Promise<AuditTrailRow[]> {
  const trail = db
    .select({
      id: sql<string>`'decision:' || ${permissionDecisions.id}`.as('id'),
      kind: sql<string>`'permission_decision'`.as('kind'),
      at: sql<Date>`${permissionDecisions.at}`.as('at'),
      actor: sql<string>`${permissionDecisions.by}`.as('actor'),
      subject: sql<string | null>`${permissionDecisions.ownerId}`.as('subject'),
      target: sql<string>`${permissionDecisions.tool}`.as('target'),
      details: sql<
        Record<string, unknown>
      >`jsonb_build_object('decision', ${permissionDecisions.decision}, 'role', ${permissionDecisions.role}, 'roleVersion', ${permissionDecisions.roleVersion}, 'rule', ${permissionDecisions.rule}, 'approvalId', ${permissionDecisions.approvalId}, 'reason', ${permissionDecisions.reason}, 'input', ${permissionDecisions.input})`.as(
        'details',
      ),
    })
    .from(permissionDecisions)
    .unionAll(
      db
        .select({
          id: sql<string>`'approval:' || ${approvals.id}`,
          kind: sql<string>`'approval_requested'`,
          at: sql<Date>`${approvals.requestedAt}`,
          actor: sql<string>`${approvals.ownerKind} || ':' || ${approvals.ownerId}`,
          subject: sql<string | null>`${approvals.ownerId}`,
          target: sql<string>`${approvals.tool}`,
          details: sql<
            Record<string, unknown>
          >`jsonb_build_object('approvalId', ${approvals.id}, 'slot', ${approvals.slot}, 'role', ${approvals.role}, 'rule', ${approvals.rule}, 'input', ${approvals.input}, 'expiresAt', ${approvals.expiresAt})`,
        })
        .from(approvals),
    )
    .unionAll(
      db
        .select({
          id: sql<string>`'decided:' || ${approvals.id}`,
          kind: sql<string>`'approval_decided'`,
          at: sql<Date>`${approvals.decidedAt}`,
          actor: sql<string>`coalesce(${approvals.decidedBy}, 'unknown')`,
          subject: sql<string | null>`${approvals.ownerId}`,
          target: sql<string>`${approvals.tool}`,
          details: sql<
            Record<string, unknown>
          >`jsonb_build_object('approvalId', ${approvals.id}, 'status', ${approvals.status}, 'reason', ${approvals.reason})`,
        })
        .from(approvals)
        .where(isNotNull(approvals.decidedAt)),
    )
    .unionAll(
      db
        .select({
          id: sql<string>`'receipt:' || ${actionReceipts.id}`,
          kind: sql<string>`'receipt'`,
          at: sql<Date>`${actionReceipts.createdAt}`,
          actor: sql<string>`${actionReceipts.actor}`,
          subject: sql<string | null>`${actionReceipts.ownerId}`,
          target: sql<string>`${actionReceipts.actionClass}`,
          details: sql<
            Record<string, unknown>
          >`jsonb_build_object('receiptId', ${actionReceipts.id}, 'mode', ${actionReceipts.mode}, 'summary', ${actionReceipts.summary}, 'approvalId', ${actionReceipts.approvalId}, 'slot', ${actionReceipts.slot}, 'role', ${actionReceipts.role})`,
        })
        .from(actionReceipts),
    )
    .unionAll(
      db
        .select({
          id: sql<string>`'role:' || ${roleVersions.role} || ':' || ${roleVersions.version}`,
          kind: sql<string>`'role_changed'`,
          at: sql<Date>`${roleVersions.changedAt}`,
          actor: sql<string>`${roleVersions.changedBy}`,
          subject: sql<string | null>`null::text`,
          target: sql<string>`${roleVersions.role}`,
          details: sql<
            Record<string, unknown>
          >`jsonb_build_object('version', ${roleVersions.version}, 'draft', ${roleVersions.activatedAt} is null)`,
        })
        .from(roleVersions),
    )
    .unionAll(
      db
        .select({
          id: sql<string>`'token:' || ${apiTokens.id}`,
          kind: sql<string>`'token_created'`,
          at: sql<Date>`${apiTokens.createdAt}`,
          actor: sql<string>`${apiTokens.createdBy}`,
          subject: sql<string | null>`coalesce(${apiTokens.sessionId}, ${apiTokens.taskId})`,
          target: sql<string>`${apiTokens.id}`,
          details: sql<
            Record<string, unknown>
          >`jsonb_build_object('name', ${apiTokens.name}, 'scopes', ${apiTokens.scopes}, 'tools', ${apiTokens.tools})`,
        })
        .from(apiTokens),
    )
    .unionAll(
      db
        .select({
          id: sql<string>`'entry:' || ${auditEntries.id}`,
          kind: sql<string>`${auditEntries.kind}`,
          at: sql<Date>`${auditEntries.at}`,
          actor: sql<string>`${auditEntries.actor}`,
          subject: sql<string | null>`${auditEntries.details}->>'subject'`,
          target: sql<string>`${auditEntries.target}`,
          details: sql<Record<string, unknown>>`${auditEntries.details}`,
        })
        .from(auditEntries),
    )
    .as('trail');
  const rows = await db
    .select()
    .from(trail)
    .where(
      and(
        filter.since ? gte(trail.at, sql`${filter.since}::timestamptz`) : undefined,
        filter.until ? lte(trail.at, sql`${filter.until}::timestamptz`) : undefined,
        filter.actor ? eq(trail.actor, text(filter.actor)) : undefined,
        filter.subject ? eq(trail.subject, text(filter.subject)) : undefined,
        filter.kind ? inArray(trail.kind, filter.kind) : undefined,
      ),
    )
    .orderBy(desc(trail.at), desc(trail.id))
    .limit(filter.limit);
  return rows;
}
