import { gateOwner } from '@mission/core';
import { actionLogSchema, actionRequestSchema } from '@mission/contracts';
import { z } from 'zod';
import { ok, tool, type ToolDef } from './tool.ts';

/** The action gate: an agent asks before an action of a class its role names, and records what it did. */
export const gateTools: ToolDef[] = [
  tool({
    name: 'mission_request_approval',
    immediate: true,
    scope: 'tasks:read',
    description:
      "Ask before an action of a class your role names (deploy, email.send, …): a gated class raises an approval a person decides (in Mission's approvals inbox, and by signed link); an auto class is recorded and you may go on at once. Returns {receipt, approval}: poll mission_check_approval with the approval's id until it is approved (go ahead) or denied/expired (do not).",
    inputSchema: actionRequestSchema,
    run: async (args, { core, caller }) => ok(await core.receipts.request(gateOwner(caller), args, caller.label)),
  }),
  tool({
    name: 'mission_check_approval',
    immediate: true,
    scope: 'tasks:read',
    description:
      "How an action you asked for was decided: the receipt, by its id or its approval's, with `decision` (pending, approved, denied, expired, auto), who decided and why.",
    inputSchema: z.strictObject({
      id: z.string().min(1).max(200).describe('The approval id (appr_…) or receipt id (rcpt_…) mission_request_approval returned.'),
    }),
    run: async ({ id }, { core, caller }) => ok(await core.receipts.get(id, caller)),
  }),
  tool({
    name: 'mission_log_action',
    immediate: true,
    scope: 'tasks:read',
    description: 'Record an action you took (after an approval, or of an auto class): a receipt with what you did and the evidence.',
    inputSchema: actionLogSchema,
    run: async (args, { core, caller }) => ok(await core.receipts.log(gateOwner(caller), args, caller.label)),
  }),
  tool({
    name: 'mission_get_receipt',
    immediate: true,
    scope: 'tasks:read',
    description: 'A receipt (rcpt_…, or by its approval id): who asked or did what, when, and how it was decided.',
    inputSchema: z.strictObject({ id: z.string().min(1).max(200).describe('The receipt id (rcpt_…) or its approval id (appr_…).') }),
    run: async ({ id }, { core, caller }) => ok(await core.receipts.get(id, caller)),
  }),
];
