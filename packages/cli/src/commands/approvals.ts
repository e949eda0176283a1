import type { Approval } from '@mission/contracts';
import type { Command } from '../command.ts';
import { tableText } from '../text.ts';

export const approvalsCommand: Command = {
  name: 'approvals',
  usage: '[--pending]',
  summary: 'List approvals, newest first (--pending: the ones waiting for a decision)',
  details: 'Decide one with `mission approve <approval id> [--deny]`. --json gives {approvals} as the API does (each with its signed url).',
  arguments: [],
  options: { pending: { type: 'boolean' } },
  async run({ api, printer }, { options }) {
    const listed = await api.request<{ approvals: Approval[] }>('GET', `/v1/approvals${options.pending ? '?status=pending' : ''}`);
    printer.result(listed, () =>
      listed.approvals.length === 0
        ? `no ${options.pending ? 'pending ' : ''}approvals`
        : tableText(
            ['ID', 'STATUS', 'TOOL', 'FOR', 'REQUESTED'],
            listed.approvals.map((a) => [a.id, a.status, a.tool, `${a.owner.kind} ${a.owner.id}`, a.requestedAt]),
          ),
    );
    return 0;
  },
};
