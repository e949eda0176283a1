import type { SessionTurn } from '@mission/contracts';

/**
 * Where a session stands after `send`, `interrupt` or `answer`, for people: the reply; or the permission dialog it
 * stopped at, with the approval to decide and the command that decides it.
 */
export function turnText(id: string, turn: SessionTurn): string {
  if (turn.dialog) {
    const decide = turn.approval ? `\nmission approve ${turn.approval.id} (or --deny)` : '';
    return `${id} asks permission: ${turn.dialog.tool} ${turn.dialog.target}\n${turn.dialog.question}${decide}`;
  }
  return turn.response ?? `${id} is ${turn.state}`;
}
