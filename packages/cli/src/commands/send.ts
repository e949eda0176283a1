import type { SessionTurn } from '@mission/contracts';
import { turnTimeoutMs } from '@mission/contracts/vocabulary';
import type { Command } from '../command.ts';
import { cutShort } from '../errors.ts';
import { lastEventSeq, ownerPath } from '../eventFeed.ts';
import { followTurn } from '../followedTurn.ts';
import { turnText } from '../sessionTurn.ts';
import { TerminalLine } from '../terminalLine.ts';
import { TerminalTurn } from '../terminalTurn.ts';
import { parseTimeout, TIMEOUT_HELP } from '../timeoutOption.ts';

export const sendCommand: Command = {
  name: 'send',
  usage: '<session id> "<text>" [--timeout MS]',
  summary: "Type a message into a session and wait for Claude's reply (or the permission dialog it stops at)",
  details: `Prints the reply. When Claude stops to ask permission, prints the dialog and the approval to decide
(\`mission approve\`); --json gives {state, response, dialog, approval}. 409 while the session is busy.
In a terminal, where the turn stops for you is asked there instead, and the turn goes on to its
reply: a permission dialog takes y, or n and a reason Claude reads; Claude's question (or an MCP server's request for input) an option's number,
several separated by commas where it takes several, or words. Answered elsewhere meanwhile, the question is withdrawn.
When the API restarts meanwhile (it answers that it shuts down, or the connection is cut), the turn goes on in the
session's worker: the command follows the session's events through the restart and prints the reply as ever (never
send the text again: it would be typed twice). Without a turn's end within the timeout it says so, exit code 1.
${TIMEOUT_HELP}`,
  arguments: ['session id', 'text'],
  options: { timeout: { type: 'string' } },
  async run({ api, printer }, { args, options }) {
    const id = args['session id']!;
    const timeoutMs = parseTimeout(options.timeout, 'send');
    const owner = { kind: 'session' as const, id };
    // Where its events stand before the text goes: a send the API's restart cuts is followed from there.
    const before = await lastEventSeq(api, owner);
    let turn = await api
      .request<SessionTurn>('POST', `${ownerPath(owner)}/send`, { text: args.text, timeoutMs })
      .catch(async (error: unknown) => {
        const why = cutShort(error);
        if (why === undefined) throw error;
        printer.note(`mission: the send was cut (${why}); following session ${id} to the end of its turn`);
        const waitMs = timeoutMs ?? turnTimeoutMs.default;
        const followed = await followTurn(api, id, before, waitMs);
        if (followed) return followed;
        throw new Error(`no end of the turn came within ${waitMs / 1000} s; \`mission logs ${id} --follow\` shows what the session does`);
      });
    // In a terminal, where the turn stops for a person is asked there, until it ends (or someone else answers).
    const terminal = TerminalLine.onTerminal();
    if (terminal) {
      const asker = new TerminalTurn(api, terminal, printer.paint, id);
      try {
        while (TerminalTurn.asksPerson(turn)) {
          const next = await asker.decide(turn, timeoutMs);
          if (!next) {
            printer.note(`${id} goes on: \`mission logs ${id} --follow\` shows what it does`);
            return 0;
          }
          turn = next;
        }
      } finally {
        terminal.close();
      }
    }
    printer.result(turn, () => turnText(id, turn));
    return 0;
  },
};
