import { and, desc, eq, sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { ChannelSubscriber } from '../channelSubscriber.ts';
import type { Database } from '../db/database.ts';
import { type ApprovalRow, approvals } from '../db/schema.ts';
import { ConflictError, NotFoundError } from '@mission/contracts';
import type { EventOwner } from '@mission/contracts';
import { newId } from '@mission/contracts';
import { channels } from '../queues.ts';
import type { Approval, ApprovalListQuery, ApprovalStatus, QuestionAnswers, Subagent } from '@mission/contracts';

export interface ApprovalRequest {
  owner: EventOwner;
  slot: string;
  role: string;
  tool: string;
  input: Record<string, unknown>;
  rule: string | null;
  timeoutMs: number;
  /** The subagent whose tool use it is, when the CLI said. */
  subagent?: Subagent;
}

export type ApprovalVerdict = 'approved' | 'denied';

/**
 * Approvals in Postgres, with their decisions announced on Redis so the worker holding the session
 * hears of them at once. A decision only lands on a pending approval: the first one wins.
 */
export class ApprovalStore {
  private readonly channelOf: (id: string) => string;

  constructor(
    private readonly db: Database,
    private readonly publisher: Redis,
    private readonly subscriber: ChannelSubscriber,
    queuePrefix: string,
  ) {
    this.channelOf = channels(queuePrefix).approval;
  }

  async create(request: ApprovalRequest): Promise<Approval> {
    const [row] = await this.db
      .insert(approvals)
      .values({
        id: newId('appr'),
        ownerKind: request.owner.kind,
        ownerId: request.owner.id,
        slot: request.slot,
        role: request.role,
        tool: request.tool,
        input: request.input,
        rule: request.rule,
        subagent: request.subagent ?? null,
        status: 'pending',
        expiresAt: new Date(Date.now() + request.timeoutMs),
      })
      .returning();
    return toApproval(row!);
  }

  async get(id: string): Promise<Approval> {
    const [row] = await this.db.select().from(approvals).where(eq(approvals.id, id));
    if (!row) throw new NotFoundError('approval', id);
    return toApproval(row);
  }

  async list(query: ApprovalListQuery): Promise<Approval[]> {
    const rows = await this.db
      .select()
      .from(approvals)
      .where(query.status ? eq(approvals.status, query.status) : undefined)
      .orderBy(desc(approvals.requestedAt))
      .limit(query.limit);
    return rows.map(toApproval);
  }

  /** The approvals `owner` waits for now, oldest first. */
  async pendingOf(owner: EventOwner): Promise<Approval[]> {
    const rows = await this.db
      .select()
      .from(approvals)
      .where(and(eq(approvals.status, 'pending'), eq(approvals.ownerKind, owner.kind), eq(approvals.ownerId, owner.id)))
      .orderBy(approvals.requestedAt);
    return rows.map(toApproval);
  }

  /** Approves or denies a pending approval (an approved question with its answers); one already decided or expired is a conflict. */
  async decide(id: string, verdict: ApprovalVerdict, by: string, reason?: string, answers?: QuestionAnswers): Promise<Approval> {
    const decided = await this.settle(id, verdict, by, reason ?? null, answers ?? null);
    if (decided) return decided;
    const current = await this.get(id);
    throw new ConflictError(`approval ${id} is already ${current.status}`, { status: current.status, decidedBy: current.decidedBy });
  }

  /** Marks a pending approval expired (its time ran out, or what waited for it is gone); null when it was decided first. */
  async expire(id: string, by = 'timeout', reason = 'nobody decided in time'): Promise<Approval | null> {
    return this.settle(id, 'expired', by, reason);
  }

  /**
   * Expires every pending approval of `owner` at once, because what waited for them (a dialog, a hook,
   * the process) is gone: none of them can be approved any more. Returns the ones it expired.
   */
  async expirePending(owner: EventOwner, reason: string, by: string): Promise<Approval[]> {
    const rows = await this.db
      .update(approvals)
      .set({ status: 'expired', decidedBy: by, reason, decidedAt: sql`now()` })
      .where(and(eq(approvals.ownerKind, owner.kind), eq(approvals.ownerId, owner.id), eq(approvals.status, 'pending')))
      .returning();
    for (const row of rows) await this.publisher.publish(this.channelOf(row.id), row.status);
    return rows.map(toApproval);
  }

  /**
   * Resolves with the approval once it is no longer pending; when `timeoutMs` passes first it expires
   * it, and when `signal` aborts (what waited for it is gone: the task ended, the CLI hung up) it
   * expires it at once, so nobody approves a tool use that can no longer run. Subscribes before reading
   * the row, so a decision made in between is not missed.
   */
  async waitForDecision(id: string, timeoutMs: number, signal?: AbortSignal): Promise<Approval> {
    let wake!: (why: 'announced' | 'timeout' | 'gone') => void;
    const woken = new Promise<'announced' | 'timeout' | 'gone'>((resolve) => (wake = resolve));
    const unsubscribe = await this.subscriber.subscribe(this.channelOf(id), () => wake('announced'));
    const gone = () => wake('gone');
    signal?.addEventListener('abort', gone, { once: true });
    let timer: NodeJS.Timeout | undefined;
    try {
      const current = await this.get(id);
      if (current.status !== 'pending') return current;
      if (signal?.aborted) wake('gone');
      timer = setTimeout(() => wake('timeout'), Math.max(0, timeoutMs));
      const why = await woken;
      const expired =
        why === 'timeout' ? await this.expire(id) : why === 'gone' ? await this.expire(id, 'waiter_gone', waiterGoneReason(signal)) : null;
      return expired ?? (await this.get(id));
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', gone);
      unsubscribe();
    }
  }

  private async settle(
    id: string,
    status: Exclude<ApprovalStatus, 'pending'>,
    by: string,
    reason: string | null,
    answers: QuestionAnswers | null = null,
  ): Promise<Approval | null> {
    const [row] = await this.db
      .update(approvals)
      .set({ status, decidedBy: by, reason, answers, decidedAt: sql`now()` })
      .where(and(eq(approvals.id, id), eq(approvals.status, 'pending')))
      .returning();
    if (!row) return null;
    await this.publisher.publish(this.channelOf(id), status);
    return toApproval(row);
  }
}

/** Why the waiter went away, from the abort reason its owner gave (a string), in words for the approval's record. */
function waiterGoneReason(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  return typeof reason === 'string'
    ? reason
    : 'what waited for the decision is gone (the task or session ended, or the CLI stopped waiting)';
}

export function toApproval(row: ApprovalRow): Approval {
  return {
    id: row.id,
    owner: { kind: row.ownerKind as EventOwner['kind'], id: row.ownerId },
    slot: row.slot,
    role: row.role,
    tool: row.tool,
    input: row.input,
    rule: row.rule,
    status: row.status as ApprovalStatus,
    requestedAt: row.requestedAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    decidedAt: row.decidedAt?.toISOString() ?? null,
    decidedBy: row.decidedBy,
    reason: row.reason,
    answers: row.answers,
    ...(row.subagent ? { subagent: row.subagent } : {}),
  };
}
