import { randomBytes } from 'node:crypto';
import {
  type Approval,
  approvalDecisionSchema,
  approvalListQuerySchema,
  type ApprovalStore,
  type ApprovalVerdict,
  type Logger,
  MissionError,
  parseInput,
  type PendingApproval,
  signApprovalToken,
  verifyApprovalToken,
} from '@mission/shared';

export interface ApprovalServiceOptions {
  store: ApprovalStore;
  /** HMAC key of approval links; without one a random key is made, so links die with this process. */
  secret: string | undefined;
  /** Base URL people open links on. */
  publicUrl: string;
  logger: Logger;
}

export type ApprovalWithLink = Approval & { url: string };

/**
 * Approvals as the API, the MCP server and signed links see them. Deciding one wakes the worker that
 * holds the tool use (over Redis), so the session goes on within a second.
 */
export class ApprovalService {
  private readonly secret: string;

  constructor(private readonly o: ApprovalServiceOptions) {
    if (!o.secret) o.logger.warn('MISSION_APPROVAL_SECRET is not set: approval links are signed with a random key and stop working when this process restarts');
    this.secret = o.secret ?? randomBytes(32).toString('base64url');
  }

  async list(query: unknown): Promise<ApprovalWithLink[]> {
    const approvals = await this.o.store.list(parseInput(approvalListQuerySchema, query, 'query'));
    return approvals.map((approval) => this.withLink(approval));
  }

  async get(id: string): Promise<ApprovalWithLink> {
    return this.withLink(await this.o.store.get(id));
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
    return this.get(check.approvalId);
  }

  /** Decides the approval a signed link is for. */
  async decideByLink(token: string, verdict: 'approve' | 'deny', body: unknown): Promise<ApprovalWithLink> {
    const approval = await this.fromLink(token);
    return verdict === 'approve' ? this.approve(approval.id, body, 'link') : this.deny(approval.id, body, 'link');
  }

  link(approval: PendingApproval): string {
    const token = signApprovalToken(this.secret, approval.id, Date.parse(approval.expiresAt));
    return `${this.o.publicUrl}/approvals/${encodeURIComponent(token)}`;
  }

  /** The signed links of an approval a notification carries: its page, and the POSTs that decide it in one tap. */
  signedLinks(approval: PendingApproval): { approvalId: string; page: string; approve: string; deny: string; expiresAt: string } {
    const page = this.link(approval);
    return { approvalId: approval.id, page, approve: `${page}/approve`, deny: `${page}/deny`, expiresAt: approval.expiresAt };
  }

  private async decide(id: string, verdict: ApprovalVerdict, body: unknown, by: string): Promise<ApprovalWithLink> {
    const { reason } = parseInput(approvalDecisionSchema, body ?? {}, 'decision');
    return this.withLink(await this.o.store.decide(id, verdict, by, reason));
  }

  private withLink(approval: Approval): ApprovalWithLink {
    return { ...approval, url: this.link(approval) };
  }
}
