import {
  type Approval,
  ASK_USER_QUESTION,
  type EventOwner,
  type QuestionAnswers,
  type Subagent,
  type ToolUse,
  unansweredMessage,
} from '@mission/contracts';
import type { AgentPlaces } from '../agentProcess.ts';
import { decideOnDisk } from './realPathOnDisk.ts';
import {
  type ApprovalStore,
  type Database,
  type EventLog,
  type Logger,
  type RoleInForce,
  recordDecision,
  roleInForce,
} from '@mission/store';

export interface GuardRequest {
  owner: EventOwner;
  /**
   * `home`: the agent's own HOME (its user's, or the slot's `env.HOME`), which `~` in the role's rules means;
   * `claudeDir`: its CLI's folder when the slot's `env.CLAUDE_CONFIG_DIR` moves it (its settings are guarded there).
   */
  slot: { id: string; role: string; cwd: string } & AgentPlaces;
  use: ToolUse;
  /** The subagent whose tool use it is, when the CLI says (a session's hooks do): its approval says so. */
  subagent?: Subagent;
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
  /** Claude's question answered: the answers to give the CLI with the allow. */
  answers?: QuestionAnswers;
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
    return this.askPerson(request, role, policy.rule, policy.reason);
  }

  /**
   * Claude's question to a person (AskUserQuestion) in a task: held as an approval the person (or the main agent)
   * approves with the answers. Asking changes nothing, so no allow rule lets it through unasked, and a role that forbids
   * it refuses it (the CLI, given the role's deny rules, does not offer the tool at all); past the approval window
   * Claude is told nobody answered.
   */
  async ask(request: GuardRequest): Promise<GuardAnswer> {
    const refused = await this.refusal(request);
    if (refused) return refused;
    const role = await roleInForce(this.deps.db, request.slot.role);
    // A question nobody answered fails nothing: Claude goes on with its best judgment.
    const { undecided: _unanswered, ...answer } = await this.askPerson(request, role, null, 'Claude asks: approve with the answers');
    return answer;
  }

  /** Holds the tool use for a person: an approval, its event, and the wait for its decision (a timeout denies). */
  private async askPerson(request: GuardRequest, role: RoleInForce, rule: string | null, why: string | undefined): Promise<GuardAnswer> {
    const { owner, slot, use } = request;
    const approval = await this.deps.approvals.create({
      owner,
      slot: slot.id,
      role: role.name,
      tool: use.tool,
      input: use.input,
      rule,
      timeoutMs: this.deps.approvalTimeoutMs,
      subagent: request.subagent,
    });
    await this.deps.events.append(owner, {
      type: 'approval_requested',
      payload: {
        approvalId: approval.id,
        tool: use.tool,
        input: use.input,
        rule,
        ...(why ? { why } : {}),
        expiresAt: approval.expiresAt,
        ...(approval.subagent ? { subagent: approval.subagent } : {}),
      },
    });
    this.deps.logger.info({ approvalId: approval.id, owner, tool: use.tool }, 'tool use waits for approval');
    request.onApprovalPending?.(approval);
    const decided = await this.deps.approvals.waitForDecision(approval.id, this.deps.approvalTimeoutMs, request.signal);
    const decision = decided.status === 'approved' ? 'allow' : 'deny';
    const reason = this.reasonFor(decided, use.tool === ASK_USER_QUESTION);
    await recordDecision(this.deps.db, this.deps.events, {
      owner,
      use,
      decision,
      by: decided.decidedBy ?? 'unknown',
      role,
      rule,
      approvalId: approval.id,
      reason,
    });
    return {
      decision,
      reason,
      ...(decided.answers ? { answers: decided.answers } : {}),
      ...(decided.status === 'expired' ? { undecided: decided } : {}),
    };
  }

  /** What Claude reads of a decided approval that is no yes: withdrawn, timed out (a question: nobody answered), or denied with a reason. */
  private reasonFor(decided: Approval, question: boolean): string | undefined {
    if (decided.status === 'expired') {
      if (decided.decidedBy !== 'timeout')
        return `Mission denied this: the request was withdrawn (${decided.reason ?? decided.decidedBy}).`;
      return question
        ? unansweredMessage(this.deps.approvalTimeoutMs)
        : 'Mission denied this: nobody approved it in time. Carry on without it.';
    }
    return decided.status === 'denied' && decided.reason ? refusalMessage(decided.decidedBy ?? 'a person', decided.reason) : undefined;
  }
}

/** What Claude is told of a person's no with a reason: who refused, and why. */
export function refusalMessage(by: string, reason: string): string {
  return `Mission denied this (${by}): ${reason}`;
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
