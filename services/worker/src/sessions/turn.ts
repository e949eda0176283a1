import { type ConfirmChoice, MissionError, type PendingApproval, type SessionState, type SessionTurn } from '@mission/contracts';
import type { PermissionDialog, SessionSnapshot, TranscriptBlock } from '../pty/screen.ts';

/**
 * Follows one turn (text sent, or a dialog answered) through successive snapshots: it has ended once
 * Claude stopped to ask permission, or is idle again after having been busy (or showing a new reply,
 * for a turn too quick to be seen working).
 */
export class TurnWatch {
  private sawBusy = false;

  constructor(private readonly baselineResponse: string | null) {}

  /** Feed each snapshot; true once the turn has ended. */
  ended(snapshot: SessionSnapshot): boolean {
    if (snapshot.state === 'working') this.sawBusy = true;
    if (snapshot.state === 'waiting_permission') return true;
    return snapshot.state === 'idle' && (this.sawBusy || snapshot.lastResponse !== this.baselineResponse);
  }
}

/** The option of a dialog that means `choice`, if it has one. */
export function optionFor(dialog: PermissionDialog, choice: ConfirmChoice): PermissionDialog['options'][number] | undefined {
  return dialog.options.find((option) => option.meaning === choice);
}

/**
 * What the slash `command` printed, as the screen shows it below its own prompt: the last reply block after that
 * prompt, else the CLI's `⎿` output under it (`/compact`'s "Compacted"), else nothing (''). Null when the command's
 * prompt is not on the screen (the CLI shows some commands' output without it: "Unknown command: /foo").
 */
export function commandReply(blocks: readonly TranscriptBlock[], command: string): string | null {
  for (let i = blocks.length - 1; i >= 0; i--) {
    const block = blocks[i]!;
    if (block.kind !== 'prompt' || block.text !== command) continue;
    const reply = blocks.slice(i + 1).findLast((after) => after.kind === 'text');
    return reply?.kind === 'text' ? reply.text : block.output.join('\n');
  }
  return null;
}

export function toTurn(snapshot: SessionSnapshot, approval: PendingApproval | null): SessionTurn {
  return {
    state: snapshot.state,
    response: snapshot.lastResponse,
    dialog: snapshot.dialog,
    approval,
  };
}

/** What a turn that ended on a failed model request answers the command that waited for it: `turn_failed` (502). */
export function turnFailedError(message: string, state: SessionState): MissionError {
  return new MissionError('turn_failed', `${message} The session is back at its prompt: send again.`, { state });
}
