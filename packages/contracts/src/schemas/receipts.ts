import { z } from 'zod';
import { actionClassSchema } from '../permissions/rules.ts';

const evidence = z.unknown().optional().describe('What supports it: a diff, a command, links, numbers (any JSON).');

/** An agent asks to take an action of a class: `gated` classes wait for a person, `auto` ones are recorded and go on. */
export const actionRequestSchema = z.strictObject({
  action_class: actionClassSchema.describe(
    "The class of action, as the role's actionClasses name it (e.g. deploy, email.send); a class the role does not list is gated.",
  ),
  summary: z.string().trim().min(1).max(2_000).describe('What you are about to do, in one or two sentences a person can decide on.'),
  evidence,
});
export type ActionRequest = z.infer<typeof actionRequestSchema>;

/** An agent reports an action it took (no decision needed; the receipt is the record). */
export const actionLogSchema = actionRequestSchema.extend({
  summary: z.string().trim().min(1).max(2_000).describe('What you did.'),
});

/** REST: the same, on behalf of a session or task (operators). */
export const actionRequestForOwnerSchema = actionRequestSchema.extend({
  owner: z.strictObject({ kind: z.enum(['session', 'task']), id: z.string().min(1).max(200) }),
});

export const receiptDecisions = ['pending', 'approved', 'denied', 'expired', 'auto', 'logged'] as const;

export const receiptSchema = z.object({
  id: z.string(),
  owner: z.object({ kind: z.enum(['task', 'session']), id: z.string() }),
  slot: z.string(),
  role: z.string(),
  actionClass: z.string(),
  summary: z.string(),
  evidence: z.unknown(),
  /** gated: an approval decides; auto: went ahead and was recorded; logged: reported after it was done. */
  mode: z.enum(['gated', 'auto', 'logged']),
  /** The approval's status for a gated action; `auto` or `logged` otherwise. */
  decision: z.enum(receiptDecisions),
  approvalId: z.string().nullable(),
  decidedBy: z.string().nullable(),
  decidedAt: z.string().nullable(),
  reason: z.string().nullable(),
  /** Who asked: the agent's token (`token:session:ses_…`) or the operator. */
  actor: z.string(),
  createdAt: z.string(),
});
export type Receipt = z.infer<typeof receiptSchema>;

export const receiptListQuerySchema = z.strictObject({
  owner: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
