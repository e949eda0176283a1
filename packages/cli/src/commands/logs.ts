import type { Command } from '../command.ts';
import { ownerEvents, ownerOf } from '../eventFeed.ts';
import { eventText } from '../eventText.ts';

export const logsCommand: Command = {
  name: 'logs',
  usage: '<task or session id> [--follow]',
  summary: "Print a task's or a session's events, in order",
  details: `Prints the events so far; --follow keeps printing them as they come until the task or session ends.
Colored when stdout is a terminal (not with NO_COLOR). --json: one JSON line per event.`,
  arguments: ['task or session id'],
  options: { follow: { type: 'boolean' } },
  async run({ api, printer }, { args, options }) {
    for await (const event of ownerEvents(api, ownerOf(args['task or session id']!), { follow: Boolean(options.follow) })) {
      printer.item(event, () => eventText(event, printer.paint));
    }
    return 0;
  },
};
