import type { Session } from '@mission/contracts';
import { sessionDrivers } from '@mission/contracts/vocabulary';
import { parseChoice } from '../choiceOption.ts';
import type { Command } from '../command.ts';
import { DETACH_KEYS_HELP } from '../detachKeys.ts';
import { UsageError } from '../errors.ts';
import { attachSession } from './attach.ts';

export const spawnCommand: Command = {
  name: 'spawn',
  usage: '<slot> [--driver hooks|screen] [--attach [--detach-keys KEYS]]',
  summary: 'Start an interactive Claude Code session on a slot and print its id (--attach: and attach to it)',
  details: `  --driver DRIVER     How the worker follows the CLI: hooks (the default: its hooks and transcript), or
                      screen (its screen alone, for a claude that runs no hooks). Shown by \`mission status\`.
  --attach            Then attach this terminal to it, as \`mission attach\` does (no --json then).
${DETACH_KEYS_HELP}
Talk to it with \`mission send\`, read it with \`mission screen\`, end it with \`mission kill\`.`,
  arguments: ['slot'],
  options: { driver: { type: 'string' }, attach: { type: 'boolean' }, 'detach-keys': { type: 'string' } },
  async run(context, { args, options }) {
    if (options.attach && context.printer.json) throw new UsageError('spawn --attach prints no JSON: leave out one of them', 'spawn');
    if (options['detach-keys'] !== undefined && !options.attach) throw new UsageError('--detach-keys goes with --attach', 'spawn');
    const chosen = typeof options.driver === 'string' ? { driver: parseChoice('driver', options.driver, sessionDrivers, 'spawn') } : {};
    const session = await context.api.request<Session>('POST', '/v1/sessions', { slot: args.slot, ...chosen });
    if (!options.attach) {
      context.printer.result(session, () => session.id);
      return 0;
    }
    context.printer.note(`[started ${session.id} on ${session.slot}]`);
    return attachSession(context, session.id, options['detach-keys']);
  },
};
