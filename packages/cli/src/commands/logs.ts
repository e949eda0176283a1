import { MAX_EVENT_SEQ } from '@mission/contracts/vocabulary';
import type { Command, OptionValue } from '../command.ts';
import { UsageError } from '../errors.ts';
import { ownerEvents, ownerOf } from '../eventFeed.ts';
import { eventText } from '../eventText.ts';

export const logsCommand: Command = {
  name: 'logs',
  usage: '<task or session id> [--follow] [--tail N]',
  summary: "Print a task's or a session's events, in order",
  details: `Prints the events so far; --follow keeps printing them as they come until the task or session ends.
--tail N starts at the last N events stored (with --follow: then the new ones as they come).
Colored when stdout is a terminal (not with NO_COLOR). --json: one JSON line per event.`,
  arguments: ['task or session id'],
  options: { follow: { type: 'boolean' }, tail: { type: 'string' } },
  async run({ api, printer }, { args, options }) {
    const last = tailCount(options.tail);
    for await (const event of ownerEvents(api, ownerOf(args['task or session id']!), { follow: Boolean(options.follow), last })) {
      printer.item(event, () => eventText(event, printer.paint));
    }
    return 0;
  },
};

/** `--tail N`: how many of the last stored events to start at (a whole number from 1), or undefined: all of them. */
function tailCount(value: OptionValue): number | undefined {
  if (value === undefined) return undefined;
  const count = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || count < 1 || count > MAX_EVENT_SEQ)
    throw new UsageError(`--tail must be a number of events from 1 to ${MAX_EVENT_SEQ}, not '${String(value)}'`, 'logs');
  return count;
}
