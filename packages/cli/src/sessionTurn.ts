import type { SessionTurn } from '@mission/contracts';
import { answeredInWords } from '@mission/contracts/sessionHelp';

/**
 * Where a session stands after `send`, `interrupt` or `answer`, for people: the reply; or the permission dialog it
 * stopped at, with the approval to decide and the command that decides it; or the question Claude asks, with its
 * options and the command that answers it.
 */
export function turnText(id: string, turn: SessionTurn): string {
  if (turn.dialog) {
    const decide = turn.approval ? `\nmission approve ${turn.approval.id} (or --deny)` : '';
    return `${stopHeadline(id, turn)}\n${turn.dialog.question}${decide}`;
  }
  if (turn.blocking && answeredInWords(turn.blocking)) {
    const options = turn.blocking.options.map((option) => `  ${option.key}. ${option.label}`);
    return [stopHeadline(id, turn), turn.blocking.text, ...options, `mission answer ${id} <option> (or --text "<your answer>")`].join('\n');
  }
  return turn.response ?? `${id} is ${turn.state}`;
}

/** Who asks what of the person where a session's turn stopped: its permission dialog's tool, or the dialog's asker. */
export function stopHeadline(id: string, turn: SessionTurn): string {
  if (turn.dialog) return `${id} asks permission: ${turn.dialog.tool} ${turn.dialog.target}`;
  return `${id}: ${turn.blocking?.kind === 'question' ? 'Claude asks' : 'an MCP server asks for input'}`;
}
