import type { Session } from '@mission/contracts';
import { sessionStates } from '@mission/contracts/vocabulary';
import type { Command } from '../command.ts';
import { parseChoice } from '../choiceOption.ts';
import { tableText } from '../text.ts';

export const sessionsCommand: Command = {
  name: 'sessions',
  usage: '[--state S] [--slot SLOT]',
  summary: 'List interactive sessions, newest first',
  details: `  --state S      Only sessions in this state: ${sessionStates.join(', ')}.
  --slot SLOT    Only sessions of this slot.`,
  arguments: [],
  options: { state: { type: 'string' }, slot: { type: 'string' } },
  async run({ api, printer }, { options }) {
    const query = new URLSearchParams();
    if (typeof options.state === 'string') query.set('state', parseChoice('state', options.state, sessionStates, 'sessions'));
    if (typeof options.slot === 'string') query.set('slot', options.slot);
    const listed = await api.request<{ sessions: Session[] }>('GET', `/v1/sessions${query.size > 0 ? `?${query}` : ''}`);
    printer.result(listed, () =>
      listed.sessions.length === 0
        ? 'no sessions'
        : tableText(
            ['ID', 'STATE', 'SLOT', 'WORKER', 'CREATED'],
            listed.sessions.map((s) => [
              s.id,
              s.blocking ? `${s.state}: ${s.blocking.kind}` : s.state,
              s.slot,
              s.ownerWorker ?? '-',
              s.createdAt,
            ]),
          ),
    );
    return 0;
  },
};
