import type { Session } from '@mission/contracts';
import type { Command } from '../command.ts';
import { ownerPath } from '../eventFeed.ts';

export const killCommand: Command = {
  name: 'kill',
  usage: '<session id> [--cascade]',
  summary: 'End a session: its claude process and everything it started',
  details: `  --cascade   End every session under it (the ones its agent started) first.
Its events and Claude Code's transcript are kept: \`mission resume\` takes the conversation up again.`,
  arguments: ['session id'],
  options: { cascade: { type: 'boolean' } },
  async run({ api, printer }, { args, options }) {
    const session = await api.request<Session>(
      'POST',
      `${ownerPath({ kind: 'session', id: args['session id']! })}/kill${options.cascade ? '?cascade=true' : ''}`,
    );
    printer.result(session, () => `${session.id} ${session.state}`);
    return 0;
  },
};
