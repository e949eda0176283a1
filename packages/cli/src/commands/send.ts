import type { SessionTurn } from '@mission/contracts';
import type { Command } from '../command.ts';
import { ownerPath } from '../eventFeed.ts';
import { turnText } from '../sessionTurn.ts';
import { parseTimeout, TIMEOUT_HELP } from '../timeoutOption.ts';

export const sendCommand: Command = {
  name: 'send',
  usage: '<session id> "<text>" [--timeout MS]',
  summary: "Type a message into a session and wait for Claude's reply (or the permission dialog it stops at)",
  details: `Prints the reply. When Claude stops to ask permission, prints the dialog and the approval to decide
(\`mission approve\`); --json gives {state, response, dialog, approval}. 409 while the session is busy.
${TIMEOUT_HELP}`,
  arguments: ['session id', 'text'],
  options: { timeout: { type: 'string' } },
  async run({ api, printer }, { args, options }) {
    const id = args['session id']!;
    const turn = await api.request<SessionTurn>('POST', `${ownerPath({ kind: 'session', id })}/send`, {
      text: args.text,
      timeoutMs: parseTimeout(options.timeout, 'send'),
    });
    printer.result(turn, () => turnText(id, turn));
    return 0;
  },
};
