import type { SessionTurn } from '@mission/contracts';
import type { Command } from '../command.ts';
import { UsageError } from '../errors.ts';
import { ownerPath } from '../eventFeed.ts';
import { turnText } from '../sessionTurn.ts';
import { parseTimeout, TIMEOUT_HELP } from '../timeoutOption.ts';

export const answerCommand: Command = {
  name: 'answer',
  usage: '<session id> <option> | <session id> --text "<answer>" [--timeout MS]',
  summary: 'Answer the dialog a blocked session shows (a question Claude asks, folder trust, login, …)',
  details: `The option is its key as the dialog shows it ("1", "2", …; "1,3" where Claude's question lets several be
picked): \`mission status <session id>\` or \`mission screen\` show the dialog. A question Claude asks (kind
"question") may be answered in your own words with --text instead; its last answer waits for Claude's turn to end,
as \`mission send\` does. Permission dialogs are decided with \`mission approve\` instead.
${TIMEOUT_HELP}`,
  arguments: ['session id', 'option?'],
  options: { text: { type: 'string' }, timeout: { type: 'string' } },
  async run({ api, printer }, { args, options }) {
    const id = args['session id']!;
    const text = typeof options.text === 'string' ? options.text : undefined;
    if ((args.option === undefined) === (text === undefined))
      throw new UsageError('give the option to pick, or --text with an answer in your own words (not both)', 'answer');
    const turn = await api.request<SessionTurn>('POST', `${ownerPath({ kind: 'session', id })}/answer`, {
      ...(text === undefined ? { option: args.option } : { text }),
      timeoutMs: parseTimeout(options.timeout, 'answer'),
    });
    printer.result(turn, () => turnText(id, turn));
    return 0;
  },
};
