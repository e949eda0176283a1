import type { SessionScreen } from '@mission/contracts';
import { screenText } from '@mission/contracts/vocabulary';
import type { Command } from '../command.ts';
import { ownerPath } from '../eventFeed.ts';

export const screenCommand: Command = {
  name: 'screen',
  usage: '<session id>',
  summary: "Print what a session's terminal shows now",
  details: `The screen as text, one line per row. --json adds what Mission reads off it: {state, title, lines, cursor,
dialog, status}.`,
  arguments: ['session id'],
  async run({ api, printer }, { args }) {
    const screen = await api.request<SessionScreen>('GET', `${ownerPath({ kind: 'session', id: args['session id']! })}/screen?format=json`);
    printer.result(screen, () => screenText(screen, ''));
    return 0;
  },
};
