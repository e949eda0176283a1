import { approvalDecisionSchema, approvalListQuerySchema } from '@mission/contracts';
import { z } from 'zod';
import { ok, tool, type ToolDef } from './tool.ts';

/** Permission approvals: the tool uses a role's rules hold for a person's decision. */
export const approvalTools: ToolDef[] = [
  tool({
    name: 'mission_approvals',
    immediate: true,
    scope: 'approvals:read',
    description:
      'List permission approvals, newest first: tool uses that a role\'s confirm rule (or no rule) holds for a decision, and questions a task\'s Claude asks (tool "AskUserQuestion": its input.questions, each with options). status "pending" lists the ones waiting; each has the tool, its input, the rule, the session or task, and (for callers who may decide) a signed url a person can open.',
    inputSchema: approvalListQuerySchema,
    run: async (args, { core, caller }) => ok({ approvals: await core.approvals.list(args, caller) }),
  }),
  tool({
    name: 'mission_approve',
    immediate: true,
    scope: 'approvals:write',
    description:
      'Decide a pending approval: "approve" lets the tool use go ahead, "deny" refuses it (the reason is passed on to Claude). A task\'s question (tool "AskUserQuestion") is approved with answers: one per question, in order. The waiting session or task goes on within a second. Returns the approval.',
    inputSchema: z.strictObject({
      id: z.string().min(1).describe('The approval id (appr_…) from mission_approvals or a send that stopped at a dialog.'),
      decision: z.enum(['approve', 'deny']),
      reason: z.string().trim().max(2_000).optional().describe('Why; told to Claude on a deny.'),
      answers: approvalDecisionSchema.shape.answers.describe(
        'Only to approve Claude\'s question (tool AskUserQuestion): one per question, in order: {"option": "2"} (an option\'s number, from 1; "1,3" for a question that takes several) or {"text": "..."} in your own words.',
      ),
    }),
    run: async ({ id, decision, reason, answers }, { core, caller }) =>
      ok(await core.approvals[decision](id, { reason, ...(answers ? { answers } : {}) }, caller.label)),
  }),
];
