import type { Session } from '@mission/contracts';
import type { Command } from '../command.ts';
import { ownerPath } from '../eventFeed.ts';

export const resumeCommand: Command = {
  name: 'resume',
  usage: '<session id>',
  summary: 'Restart an ended or lost session with `claude --resume`: the conversation goes on, same id',
  details: "Needs the slot's folder and Claude Code's transcripts (~/.claude) on the worker that takes it. 409 unless it has ended.",
  arguments: ['session id'],
  async run({ api, printer }, { args }) {
    const session = await api.request<Session>('POST', `${ownerPath({ kind: 'session', id: args['session id']! })}/resume`);
    printer.result(session, () => `${session.id} ${session.state}${session.ownerWorker ? ` on ${session.ownerWorker}` : ''}`);
    return 0;
  },
};
