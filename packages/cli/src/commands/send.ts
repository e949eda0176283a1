import type { SessionTurn } from '@mission/contracts';
import type { Command } from '../command.ts';
import { ownerPath } from '../eventFeed.ts';
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
When the API restarts meanwhile, the command fails but the turn goes on: \`mission logs <id> --follow\` shows its reply
(sending the text again would type it twice).
${TIMEOUT_HELP}`,
  arguments: ['session id', 'text'],
  options: { timeout: { type: 'string' } },
  async run({ api, printer }, { args, options }) {
    const id = args['session id']!;
    const timeoutMs = parseTimeout(options.timeout, 'send');
    let turn = await api.request<SessionTurn>('POST', `${ownerPath({ kind: 'session', id })}/send`, { text: args.text, timeoutMs });
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
