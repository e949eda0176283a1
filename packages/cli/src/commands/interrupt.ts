import type { SessionTurn } from '@mission/contracts';
import type { Command } from '../command.ts';
import { ownerPath } from '../eventFeed.ts';
import { turnText } from '../sessionTurn.ts';

export const interruptCommand: Command = {
  name: 'interrupt',
  usage: '<session id>',
  summary: 'Interrupt what Claude is doing in a session (Esc) and wait for its prompt',
  details: 'Prints the last response on screen; --json gives {state, response, dialog, approval}.',
  arguments: ['session id'],
  async run({ api, printer }, { args }) {
    const id = args['session id']!;
    const turn = await api.request<SessionTurn>('POST', `${ownerPath({ kind: 'session', id })}/interrupt`);
    printer.result(turn, () => turnText(id, turn));
    return 0;
  },
};
