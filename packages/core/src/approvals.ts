import { randomBytes } from 'node:crypto';
import {
  type Approval,
  answerQuestions,
  BadRequestError,
  type Caller,
  dialogReply,
  type EventOwner,
  type QuestionAnswers,
  type QuestionReplyInput,
  questionsLine,
  approvalDecisionSchema,
  approvalListQuerySchema,
  MissionError,
  parseInput,
  hasScope,
  type PendingApproval,
  type SessionTurn,
  signApprovalToken,
  verifyApprovalToken,
  questionsAsked,
} from '@mission/contracts';
import { ConfigError, approvalSecretProblem, type ApprovalStore, type ApprovalVerdict, type Logger } from '@mission/store';

export interface ApprovalServiceOptions {
  store: ApprovalStore;
  /** HMAC key of approval links; without one (auth off only) a random key is made, so links die with this process. */
  secret: string | undefined;
  /** With auth on, a missing, short or placeholder secret refuses to start. */
  auth: boolean;
  /** Base URL people open links on. */
  publicUrl: string;
  logger: Logger;
}

export type ApprovalWithLink = Approval & { url: string };
/** An approval as a caller sees it: the signed link (a credential to decide it) only for those who may decide. */
export type ApprovalSeen = Approval & { url?: string };

/**
 * Whether a caller may decide approvals (`approvals:write`): only they are given an approval's signed link (it decides
 * it without a token), and only they decide what an ask they wait on waits for.
 */
export const mayDecideApprovals = (caller: Caller): boolean => hasScope(caller.scopes, 'approvals:write');

/**
 * Approvals as the API, the MCP server and signed links see them. Deciding one wakes the worker that
 * holds the tool use (over Redis), so the session goes on within a second.
 */
export class ApprovalService {
  private readonly secret: string;

  constructor(private readonly deps: ApprovalServiceOptions) {
    const problem = approvalSecretProblem(deps.secret);
    if (problem && deps.auth) throw new ConfigError([problem]);
    if (!deps.secret)
      deps.logger.warn(
        'MISSION_APPROVAL_SECRET is not set: approval links are signed with a random key and stop working when this process restarts',
      );
    this.secret = deps.secret ?? randomBytes(32).toString('base64url');
  }

  async list(query: unknown, caller: Caller): Promise<ApprovalSeen[]> {
    const approvals = await this.deps.store.list(parseInput(approvalListQuerySchema, query, 'query'));
    return approvals.map((approval) => this.seenBy(approval, caller));
  }

  async get(id: string, caller: Caller): Promise<ApprovalSeen> {
    return this.seenBy(await this.deps.store.get(id), caller);
  }

  /** The approvals a task or session waits for now, as the caller may see them. */
  async pendingFor(owner: EventOwner, caller: Caller): Promise<ApprovalSeen[]> {
    return (await this.deps.store.pendingOf(owner)).map((approval) => this.seenBy(approval, caller));
  }

  /** A session's turn as the caller may see it: the approval it stopped at keeps its link only for those who may decide. */
  turnFor(turn: SessionTurn, caller: Caller): SessionTurn {
    if (!turn.approval || mayDecideApprovals(caller)) return turn;
    const { url: _link, ...approval } = turn.approval;
    return { ...turn, approval };
  }

  async approve(id: string, body: unknown, by: string): Promise<ApprovalWithLink> {
    return this.decide(id, 'approved', body, by);
  }

  async deny(id: string, body: unknown, by: string): Promise<ApprovalWithLink> {
    return this.decide(id, 'denied', body, by);
  }

  /** The approval a signed link is for; a tampered, malformed or expired token is refused. */
  async fromLink(token: string): Promise<ApprovalWithLink> {
    const check = verifyApprovalToken(this.secret, token);
    if ('problem' in check) {
      const message = check.problem === 'expired' ? 'this approval link has expired' : 'this approval link is not valid';
      throw new MissionError(check.problem === 'expired' ? 'forbidden' : 'unauthorized', message, { problem: check.problem });
    }
    return this.withLink(await this.deps.store.get(check.approvalId));
  }

  /** Decides the approval a signed link is for. */
  async decideByLink(token: string, verdict: 'approve' | 'deny', body: unknown): Promise<ApprovalWithLink> {
    const approval = await this.fromLink(token);
    return verdict === 'approve' ? this.approve(approval.id, body, 'link') : this.deny(approval.id, body, 'link');
  }

  link(approval: PendingApproval): string {
    const token = signApprovalToken(this.secret, approval.id, Date.parse(approval.expiresAt));
    return `${this.deps.publicUrl}/approvals/${encodeURIComponent(token)}`;
  }

  /** The signed links of an approval a notification carries: its page, and the POSTs that decide it in one tap. */
  signedLinks(approval: PendingApproval): { approvalId: string; page: string; approve: string; deny: string; expiresAt: string } {
    const page = this.link(approval);
    return { approvalId: approval.id, page, approve: `${page}/approve`, deny: `${page}/deny`, expiresAt: approval.expiresAt };
  }

  private async decide(id: string, verdict: ApprovalVerdict, body: unknown, by: string): Promise<ApprovalWithLink> {
    const { reason, answers } = parseInput(approvalDecisionSchema, body ?? {}, 'decision');
    const answered = verdict === 'approved' || answers ? await this.answersFor(id, verdict, answers) : undefined;
    return this.withLink(await this.deps.store.decide(id, verdict, by, reason, answered));
  }

  /**
   * What approving `id` answers: Claude's question (tool AskUserQuestion) is approved only with an answer to each of
   * its questions, in order; nothing else takes answers. Undefined for an approval decided already (the store then
   * says so).
   */
  private async answersFor(
    id: string,
    verdict: ApprovalVerdict,
    replies: QuestionReplyInput[] | undefined,
  ): Promise<QuestionAnswers | undefined> {
    const approval = await this.deps.store.get(id);
    if (approval.status !== 'pending') return undefined;
    const questions = questionsAsked(approval);
    if (!questions || verdict === 'denied') {
      if (!replies) return undefined;
      throw new BadRequestError(
        questions
          ? 'a denial takes no answers: approve with the answers, or deny with a reason Claude reads'
          : `approval ${id} is for ${approval.tool}, not Claude's question: it takes no answers`,
      );
    }
    if (!replies) {
      throw new BadRequestError(
        `approval ${id} is Claude's question: approve it with answers, one per question in order (an option's key, or text in your own words). ${questionsLine(questions)}`,
      );
    }
    return answerQuestions(questions, replies.map(dialogReply));
  }

  private seenBy(approval: Approval, caller: Caller): ApprovalSeen {
    return mayDecideApprovals(caller) ? this.withLink(approval) : approval;
  }

  private withLink(approval: Approval): ApprovalWithLink {
    return { ...approval, url: this.link(approval) };
  }
}
