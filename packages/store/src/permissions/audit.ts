import type { Database } from '../db/database.ts';
import { permissionDecisions } from '../db/schema.ts';
import type { EventLog } from '../eventLog.ts';
import type { EventOwner } from '@mission/contracts';
import type { ToolUse } from '@mission/contracts';
import type { RoleInForce } from './roleStore.ts';

export interface DecisionRecord {
  owner: EventOwner;
  use: ToolUse;
  decision: 'allow' | 'deny';
  /** `policy` when a rule decided, otherwise who decided the approval (`token:<name>`, `link`, `timeout` …). */
  by: string;
  role: RoleInForce;
  rule: string | null;
  approvalId?: string;
  reason?: string;
}

/** Every allow/deny is an audit row and a `permission_decision` event of the task or session. */
export async function recordDecision(db: Database, events: EventLog, record: DecisionRecord): Promise<void> {
  await db.insert(permissionDecisions).values({
    ownerKind: record.owner.kind,
    ownerId: record.owner.id,
    tool: record.use.tool,
    input: record.use.input,
    decision: record.decision,
    by: record.by,
    role: record.role.name,
    roleVersion: record.role.version,
    rule: record.rule,
    approvalId: record.approvalId ?? null,
    reason: record.reason ?? null,
  });
  await events.append(record.owner, {
    type: 'permission_decision',
    payload: {
      tool: record.use.tool,
      decision: record.decision,
      by: record.by,
      ...(record.rule ? { rule: record.rule } : {}),
      ...(record.reason ? { reason: record.reason } : {}),
      ...(record.approvalId ? { approvalId: record.approvalId } : {}),
    },
  });
}
