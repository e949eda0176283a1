import type { SessionTurn } from '@mission/contracts';
import type { Command } from '../command.ts';
import { ownerPath } from '../eventFeed.ts';
import { turnText } from '../sessionTurn.ts';
import { parseTimeout, TIMEOUT_HELP } from '../timeoutOption.ts';

export const answerCommand: Command = {
  name: 'answer',
  usage: '<session id> <option> [--timeout MS]',
  summary: 'Answer the dialog a blocked session shows (folder trust, login, …) with one of its options',
  details: `The option is its key as the dialog shows it ("1", "2", …): \`mission status <session id>\` or \`mission screen\`
show the dialog. Permission dialogs are decided with \`mission approve\` instead.
${TIMEOUT_HELP}`,
  arguments: ['session id', 'option'],
  options: { timeout: { type: 'string' } },
  async run({ api, printer }, { args, options }) {
    const id = args['session id']!;
    const turn = await api.request<SessionTurn>('POST', `${ownerPath({ kind: 'session', id })}/answer`, {
      option: args.option,
      timeoutMs: parseTimeout(options.timeout, 'answer'),
    });
    printer.result(turn, () => turnText(id, turn));
    return 0;
  },
};
