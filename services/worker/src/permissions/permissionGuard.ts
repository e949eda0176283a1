import type { Approval, EventOwner, ToolUse } from '@mission/contracts';
import type { AgentPlaces } from '../agentProcess.ts';
import { decideOnDisk } from './realPathOnDisk.ts';
import { type ApprovalStore, type Database, type EventLog, type Logger, recordDecision, roleInForce } from '@mission/store';

export interface GuardRequest {
  owner: EventOwner;
  /**
   * `home`: the agent's own HOME (its user's, or the slot's `env.HOME`), which `~` in the role's rules means;
   * `claudeDir`: its CLI's folder when the slot's `env.CLAUDE_CONFIG_DIR` moves it (its settings are guarded there).
   */
  slot: { id: string; role: string; cwd: string } & AgentPlaces;
  use: ToolUse;
  /** Told when the use must wait for a person (an approval was created). */
  onApprovalPending?: (approval: Approval) => void;
  /** Aborts when what waits for the answer is gone: a pending approval then expires at once. */
  signal?: AbortSignal;
}

export interface GuardAnswer {
  decision: 'allow' | 'deny';
  /** Why it was denied, in words for Claude. */
  reason?: string;
  /** The approval it waited for when nobody decided it (it expired): the tool use never ran. */
  undecided?: Approval;
}

export interface PermissionGuardOptions {
  db: Database;
  events: EventLog;
  approvals: ApprovalStore;
  approvalTimeoutMs: number;
  logger: Logger;
}

/**
 * Enforces roles: a tool use is decided by the slot's role (deny beats confirm beats allow; no match
 * → confirm). `confirm` creates an approval and waits for it (a timeout denies). Every answer is an
 * audit row and a `permission_decision` event.
 */
export class PermissionGuard {
  constructor(private readonly deps: PermissionGuardOptions) {}

  /**
   * A role's deny rule, checked before the CLI decides anything itself (a PreToolUse hook): a tool use
   * it forbids is refused even if the CLI would run it unasked. Null when no deny rule matches.
   */
  async refusal(request: GuardRequest): Promise<GuardAnswer | null> {
    const { owner, slot, use } = request;
    const role = await roleInForce(this.deps.db, slot.role);
    const policy = decideOnDisk(role.rules, use, slot);
    if (policy.verdict !== 'deny') return null;
    const reason = denialReason(role.name, policy.rule);
    await recordDecision(this.deps.db, this.deps.events, { owner, use, decision: 'deny', by: 'policy', role, rule: policy.rule, reason });
    return { decision: 'deny', reason };
  }

  async check(request: GuardRequest): Promise<GuardAnswer> {
    const { owner, slot, use } = request;
    const role = await roleInForce(this.deps.db, slot.role);
    const policy = decideOnDisk(role.rules, use, slot);
    if (policy.verdict !== 'confirm') {
      const reason = policy.verdict === 'deny' ? denialReason(role.name, policy.rule) : undefined;
      await recordDecision(this.deps.db, this.deps.events, {
        owner,
        use,
        decision: policy.verdict,
        by: 'policy',
        role,
        rule: policy.rule,
        reason,
      });
      return { decision: policy.verdict, reason };
    }
    const approval = await this.deps.approvals.create({
      owner,
      slot: slot.id,
      role: role.name,
      tool: use.tool,
      input: use.input,
      rule: policy.rule,
      timeoutMs: this.deps.approvalTimeoutMs,
    });
    await this.deps.events.append(owner, {
      type: 'approval_requested',
      payload: {
        approvalId: approval.id,
        tool: use.tool,
        input: use.input,
        rule: policy.rule,
        ...(policy.reason ? { why: policy.reason } : {}),
        expiresAt: approval.expiresAt,
      },
    });
    this.deps.logger.info({ approvalId: approval.id, owner, tool: use.tool }, 'tool use waits for approval');
    request.onApprovalPending?.(approval);
    const decided = await this.deps.approvals.waitForDecision(approval.id, this.deps.approvalTimeoutMs, request.signal);
    const decision = decided.status === 'approved' ? 'allow' : 'deny';
    const reason =
      decided.status === 'expired'
        ? decided.decidedBy !== 'timeout'
          ? `Mission denied this: the request was withdrawn (${decided.reason ?? decided.decidedBy}).`
          : 'Mission denied this: nobody approved it in time. Carry on without it.'
        : decision === 'deny' && decided.reason
          ? `Mission denied this (${decided.decidedBy}): ${decided.reason}`
          : undefined;
    await recordDecision(this.deps.db, this.deps.events, {
      owner,
      use,
      decision,
      by: decided.decidedBy ?? 'unknown',
      role,
      rule: policy.rule,
      approvalId: approval.id,
      reason,
    });
    return { decision, reason, ...(decided.status === 'expired' ? { undecided: decided } : {}) };
  }
}

function denialReason(role: string, rule: string | null): string {
  return `Mission denied this: role '${role}' forbids it (rule ${rule}). Do not try it another way; carry on without it.`;
}

/** The tool use a permission dialog stands for, in the input shape Claude Code's tools take. */
export function dialogToolUse(dialog: { tool: string; target: string }): ToolUse {
  const key =
    dialog.tool === 'Bash' ? 'command' : dialog.tool === 'WebFetch' ? 'url' : FILE_TOOLS.has(dialog.tool) ? 'file_path' : 'target';
  return { tool: dialog.tool, input: { [key]: dialog.target } };
}

const FILE_TOOLS = new Set(['Edit', 'Write', 'MultiEdit', 'NotebookEdit', 'Read']);
