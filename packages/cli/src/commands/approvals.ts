import type { Approval } from '@mission/contracts';
import { questionsAsked } from '@mission/contracts/claudeQuestions';
import { authorOf } from '@mission/contracts/subagent';
import type { Command, CommandContext } from '../command.ts';
import { UsageError } from '../errors.ts';
import { compact } from '../eventText.ts';
import { TerminalApprovals } from '../terminalApprovals.ts';
import { tableText } from '../text.ts';

export const approvalsCommand: Command = {
  name: 'approvals',
  usage: '[--pending] [--decide]',
  summary: 'List approvals, newest first (--pending: the ones waiting for a decision; --decide: decide them here)',
  details: `Decide one with \`mission approve <approval id> [--deny]\`. --json gives {approvals} as the API does (each with its signed url).
  --decide   In a terminal: each pending approval, oldest first, is put to you in turn — Claude's question takes an
             option's number (several separated by commas where it takes several) or your own words; a tool use
             takes y, or n and the reason Claude reads — then the command ends.`,
  arguments: [],
  options: { pending: { type: 'boolean' }, decide: { type: 'boolean' } },
  async run(context, { options }) {
    if (options.decide) return decidePending(context);
    const { api, printer } = context;
    const listed = await api.request<{ approvals: Approval[] }>('GET', `/v1/approvals${options.pending ? '?status=pending' : ''}`);
    printer.result(listed, () =>
      listed.approvals.length === 0
        ? `no ${options.pending ? 'pending ' : ''}approvals`
        : tableText(
            ['ID', 'STATUS', 'TOOL', 'FOR', 'BY', 'REQUESTED'],
            listed.approvals.map((a) => [a.id, a.status, a.tool, `${a.owner.kind} ${a.owner.id}`, authorOf(a), a.requestedAt]),
          ),
    );
    return 0;
  },
};

/** `--decide`: every pending approval put to the person at this terminal, oldest first. */
async function decidePending({ api, printer }: CommandContext): Promise<number> {
  const approvals = TerminalApprovals.onTerminal(api, printer.paint, { pause: () => undefined, resume: () => undefined });
  if (!approvals)
    throw new UsageError('--decide needs a terminal to ask in (stdin and stderr); in a script, decide with `mission approve`', 'approvals');
  try {
    const { approvals: pending } = await api.request<{ approvals: Approval[] }>('GET', '/v1/approvals?status=pending');
    if (pending.length === 0) {
      printer.note('no pending approvals');
      return 0;
    }
    for (const approval of pending.toReversed()) {
      const { id: approvalId, tool, input, rule, owner } = approval;
      // Whose it is (a subagent's work says so); a tool use also what it would run (Claude's question says itself).
      const by = approval.subagent ? `: ${authorOf(approval)}` : '';
      const what = questionsAsked({ tool, input }) ? by : `${by} wants ${tool} ${compact(input)}${rule ? ` (rule ${rule})` : ''}`;
      approvals.asked({ approvalId, tool, input, heading: printer.paint('bold', `${owner.kind} ${owner.id}${what}`) });
    }
    await approvals.drained();
    return 0;
  } finally {
    approvals.close();
  }
}
