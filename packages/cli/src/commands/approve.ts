import type { Approval } from '@mission/contracts';
import type { Command } from '../command.ts';
import { typedReply } from '../terminalLine.ts';

export const approveCommand: Command = {
  name: 'approve',
  usage: '<approval id> [--deny] [--reason TEXT] [--answer ANSWER ...]',
  summary: 'Approve (or --deny) a pending approval; the waiting session or task goes on',
  details: `  --deny           Refuse the tool use instead.
  --reason TEXT    Why (a denial's reason is told to Claude).
  --answer ANSWER  A task's question (tool AskUserQuestion) is approved with an answer to each of its questions, one
                   --answer per question in order: an option's number ("2"; "1,3" for a question that takes several)
                   picks it, anything else is an answer in your own words.
Pending approvals: \`mission approvals --pending\`, or the approval_requested events in \`mission logs\`.`,
  arguments: ['approval id'],
  options: { deny: { type: 'boolean' }, reason: { type: 'string' }, answer: { type: 'string', multiple: true } },
  async run({ api, printer }, { args, options }) {
    const verdict = options.deny ? 'deny' : 'approve';
    const answers = Array.isArray(options.answer) ? options.answer.map(typedReply) : undefined;
    const body = { ...(typeof options.reason === 'string' ? { reason: options.reason } : {}), ...(answers ? { answers } : {}) };
    const approval = await api.request<Approval>('POST', `/v1/approvals/${encodeURIComponent(args['approval id']!)}/${verdict}`, body);
    printer.result(approval, () => `${approval.id} ${approval.status}: ${approval.tool} for ${approval.owner.kind} ${approval.owner.id}`);
    return 0;
  },
};
