import { type ConfirmChoice, MissionError, type PendingApproval, type SessionState, type SessionTurn } from '@mission/contracts';
import type { PermissionDialog, SessionSnapshot } from '../pty/screen.ts';

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
