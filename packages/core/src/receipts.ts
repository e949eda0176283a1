import {
  type ActionMode,
  actionLogSchema,
  actionRequestSchema,
  type Approval,
  type Caller,
  type EventOwner,
  MissionError,
  newId,
  NotFoundError,
  parseInput,
  type Receipt,
  receiptListQuerySchema,
} from '@mission/contracts';
import {
  type ActionReceiptRow,
  type ApprovalStore,
  type Database,
  type EventLog,
  insertReceipt,
  listReceiptsWithApprovals,
  ownerSlotAndRole,
  receiptWithApproval,
  roleInForce,
  toApproval,
} from '@mission/store';

/** What an agent of a role with action classes is told (mission_status): use the gate before acting. */
export function gateInstructions(actionClasses: Record<string, ActionMode>): string {
  const classes = Object.entries(actionClasses)
    .map(([name, mode]) => `${name} (${mode})`)
    .join(', ');
  return [
    `Before you take an action of one of these classes, ask through the gate: ${classes}.`,
    'Call mission_request_approval {action_class, summary, evidence}: a gated class waits for a person — poll mission_check_approval {id} until it is approved (go ahead) or denied/expired (do not; say why you stopped).',
    'An auto class is recorded and you may go on at once. A class not listed is gated.',
    'After acting, call mission_log_action {action_class, summary, evidence} so the receipt says what was done. mission_get_receipt {id} shows a receipt.',
  ].join(' ');
}

export interface ReceiptServiceOptions {
  db: Database;
  approvals: ApprovalStore;
  events: EventLog;
  approvalTimeoutMs: number;
}

/**
 * The gate: an agent asks before an action of a class (mission_request_approval). Its role's
 * `actionClasses` say how: `gated` raises an approval in the same inbox as tool approvals (and the same
 * `approval_requested` event, so notifications and signed links work alike); `auto` goes on at once.
 * Every request and every logged action is a receipt: who, what, when, and how it was decided.
 */
export class ReceiptService {
  constructor(private readonly deps: ReceiptServiceOptions) {}

  async request(owner: EventOwner, body: unknown, actor: string): Promise<{ receipt: Receipt; approval: Approval | null }> {
    const input = parseInput(actionRequestSchema, body, 'action');
    const agent = await this.ownerOf(owner);
    const { rules } = await roleInForce(this.deps.db, agent.role);
    const mode: ActionMode = rules.actionClasses[input.action_class] ?? 'gated';
    let approval: Approval | null = null;
    if (mode === 'gated') {
      approval = await this.deps.approvals.create({
        owner,
        slot: agent.slot,
        role: agent.role,
        tool: `action:${input.action_class}`,
        input: { summary: input.summary, ...(input.evidence === undefined ? {} : { evidence: input.evidence }) },
        rule: input.action_class in rules.actionClasses ? `actionClasses.${input.action_class}: gated` : null,
        timeoutMs: this.deps.approvalTimeoutMs,
      });
      await this.deps.events.append(owner, {
        type: 'approval_requested',
        payload: {
          approvalId: approval.id,
          tool: approval.tool,
          input: approval.input,
          rule: approval.rule,
          expiresAt: approval.expiresAt,
        },
      });
    }
    const row = await this.insert(owner, agent, {
      actionClass: input.action_class,
      summary: input.summary,
      evidence: input.evidence,
      mode,
      approvalId: approval?.id ?? null,
      actor,
    });
    return { receipt: toReceipt(row, approval), approval };
  }

  /** Records an action already taken: a receipt, decided `logged`. */
  async log(owner: EventOwner, body: unknown, actor: string): Promise<Receipt> {
    const input = parseInput(actionLogSchema, body, 'action');
    const agent = await this.ownerOf(owner);
    return toReceipt(
      await this.insert(owner, agent, {
        actionClass: input.action_class,
        summary: input.summary,
        evidence: input.evidence,
        mode: 'logged',
        approvalId: null,
        actor,
      }),
      null,
    );
  }

  /**
   * A receipt by its id, or the one of an approval (by the approval's id); an approval whose time ran out
   * is expired here, since no process waits on it. An agent sees only its own.
   */
  async get(id: string, caller?: Caller): Promise<Receipt> {
    const found = await receiptWithApproval(this.deps.db, id);
    if (!found || (caller?.agent && found.receipt.ownerId !== caller.agent.id)) throw new NotFoundError('receipt', id);
    let approval = found.approval ? toApproval(found.approval) : null;
    if (approval?.status === 'pending' && Date.parse(approval.expiresAt) <= Date.now()) {
      approval = (await this.deps.approvals.expire(approval.id)) ?? (await this.deps.approvals.get(approval.id));
    }
    return toReceipt(found.receipt, approval);
  }

  async list(query: unknown): Promise<Receipt[]> {
    const q = parseInput(receiptListQuerySchema, query ?? {}, 'query');
    const rows = await listReceiptsWithApprovals(this.deps.db, q);
    return rows.map((row) => toReceipt(row.receipt, row.approval ? toApproval(row.approval) : null));
  }

  /** The gate's instructions for an agent whose role has action classes; undefined otherwise. */
  async instructionsFor(caller: Caller): Promise<{ instructions: string; actionClasses: Record<string, ActionMode> } | undefined> {
    if (!caller.agent) return undefined;
    const { rules } = await roleInForce(this.deps.db, caller.agent.role);
    if (Object.keys(rules.actionClasses).length === 0) return undefined;
    return { instructions: gateInstructions(rules.actionClasses), actionClasses: rules.actionClasses };
  }

  private async insert(
    owner: EventOwner,
    agent: { slot: string; role: string },
    values: { actionClass: string; summary: string; evidence: unknown; mode: Receipt['mode']; approvalId: string | null; actor: string },
  ): Promise<ActionReceiptRow> {
    return insertReceipt(this.deps.db, {
      id: newId('rcpt'),
      ownerKind: owner.kind,
      ownerId: owner.id,
      slot: agent.slot,
      role: agent.role,
      ...values,
      evidence: values.evidence ?? null,
    });
  }

  private async ownerOf(owner: EventOwner): Promise<{ slot: string; role: string }> {
    const row = await ownerSlotAndRole(this.deps.db, owner);
    if (!row) throw new NotFoundError(owner.kind, owner.id);
    return { slot: row.slot, role: row.role ?? 'default' };
  }
}

/** The agent a gate call is for: an agent's own session or task; an operator names one over REST. */
export function gateOwner(caller: Caller): EventOwner {
  if (!caller.agent)
    throw new MissionError(
      'bad_request',
      "the gate is for agents: call it with a session's or task's own token (over REST, POST /v1/receipts/request with an owner)",
    );
  return { kind: caller.agent.kind, id: caller.agent.id };
}

function toReceipt(row: ActionReceiptRow, approval: Approval | null): Receipt {
  const decision: Receipt['decision'] = row.mode === 'gated' ? (approval?.status ?? 'pending') : row.mode === 'auto' ? 'auto' : 'logged';
  return {
    id: row.id,
    owner: { kind: row.ownerKind as EventOwner['kind'], id: row.ownerId },
    slot: row.slot,
    role: row.role,
    actionClass: row.actionClass,
    summary: row.summary,
    evidence: row.evidence,
    mode: row.mode as Receipt['mode'],
    decision,
    approvalId: row.approvalId,
    decidedBy: approval?.decidedBy ?? null,
    decidedAt: approval?.decidedAt ?? null,
    reason: approval?.reason ?? null,
    actor: row.actor,
    createdAt: row.createdAt.toISOString(),
  };
}
