import type { Approval } from '@mission/contracts';
import type { Command } from '../command.ts';

export const approveCommand: Command = {
  name: 'approve',
  usage: '<approval id> [--deny] [--reason TEXT]',
  summary: 'Approve (or --deny) a pending approval; the waiting session or task goes on',
  details: `  --deny         Refuse the tool use instead.
  --reason TEXT  Why (a denial's reason is told to Claude).
Pending approvals: \`mission approvals --pending\`, or the approval_requested events in \`mission logs\`.`,
  arguments: ['approval id'],
  options: { deny: { type: 'boolean' }, reason: { type: 'string' } },
  async run({ api, printer }, { args, options }) {
    const verdict = options.deny ? 'deny' : 'approve';
    const body = typeof options.reason === 'string' ? { reason: options.reason } : {};
    const approval = await api.request<Approval>('POST', `/v1/approvals/${encodeURIComponent(args['approval id']!)}/${verdict}`, body);
    printer.result(approval, () => `${approval.id} ${approval.status}: ${approval.tool} for ${approval.owner.kind} ${approval.owner.id}`);
    return 0;
  },
};
