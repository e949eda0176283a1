import { z } from 'zod';
import { questionReplySchema } from './sessions.ts';
import { subagentSchema } from './subagent.ts';

export const approvalStatuses = ['pending', 'approved', 'denied', 'expired'] as const;
export const approvalStatusSchema = z.enum(approvalStatuses);
export type ApprovalStatus = z.infer<typeof approvalStatusSchema>;

export const approvalSchema = z.object({
  id: z.string(),
  owner: z.object({ kind: z.enum(['task', 'session']), id: z.string() }),
  slot: z.string(),
  role: z.string(),
  tool: z.string(),
  input: z.record(z.string(), z.unknown()),
  /** The `confirm` rule that asked for a person, or null when no rule matched. */
  rule: z.string().nullable(),
  status: approvalStatusSchema,
  requestedAt: z.string(),
  expiresAt: z.string(),
  decidedAt: z.string().nullable(),
  decidedBy: z.string().nullable(),
  reason: z.string().nullable(),
  /** Claude's question (tool `AskUserQuestion`) answered: each question's answer by its text, as the CLI takes them (a pick-any's labels separated by ", "). */
  answers: z.record(z.string(), z.string()).nullable(),
  subagent: subagentSchema
    .optional()
    .describe("The subagent whose tool use it is (Claude's Agent tool started it); absent for Claude's own."),
});
export type Approval = z.infer<typeof approvalSchema>;

export const approvalListQuerySchema = z.strictObject({
  status: approvalStatusSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type ApprovalListQuery = z.infer<typeof approvalListQuerySchema>;

/**
 * A decision on an approval; the reason is passed on to Claude when it is a no. Approving Claude's question (tool
 * `AskUserQuestion`) takes `answers`: one per question, in order.
 */
export const approvalDecisionSchema = z.strictObject({
  reason: z.string().trim().max(2_000).optional(),
  answers: z.array(questionReplySchema).min(1).max(8).optional(),
});
export type ApprovalDecisionInput = z.infer<typeof approvalDecisionSchema>;

/** An approval, with the signed link a person can open to decide it for callers who may decide (`approvals:write`). */
export const approvalWithLinkSchema = approvalSchema.extend({ url: z.string().optional() });
