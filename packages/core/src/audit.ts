import { type AuditEntry, type AuditKind, auditQuerySchema, parseInput } from '@mission/contracts';
import { auditTrail, type Database, insertAuditEntry } from '@mission/store';

/** A change that has no history table of its own (slots, token revocations, role activations, subscriptions). */
export interface AuditRecord {
  kind: Extract<
    AuditKind,
    | 'role_activated'
    | 'role_rollback'
    | 'slot_changed'
    | 'slot_denied'
    | 'slot_resumed'
    | 'token_revoked'
    | 'notification_changed'
    | 'notification_deleted'
  >;
  actor: string;
  target: string;
  details?: Record<string, unknown>;
}

export async function recordAudit(db: Database, record: AuditRecord): Promise<void> {
  await insertAuditEntry(db, { kind: record.kind, actor: record.actor, target: record.target, details: record.details ?? {} });
}

/** The audit trail (see `auditTrail` in the store), filtered as the query asks and shaped for the API. */
export class AuditService {
  constructor(private readonly db: Database) {}

  async list(query: unknown): Promise<{ entries: AuditEntry[] }> {
    const q = parseInput(auditQuerySchema, query ?? {}, 'query');
    const rows = await auditTrail(this.db, q);
    return {
      entries: rows.map((row) => ({
        id: row.id,
        kind: row.kind as AuditKind,
        at: new Date(row.at).toISOString(),
        actor: row.actor,
        subject: row.subject,
        target: row.target,
        details: row.details,
      })),
    };
  }
}
