import { type ConfirmChoice, MissionError, type PendingApproval, type SessionState, type SessionTurn } from '@mission/contracts';
import type { PermissionDialog, SessionSnapshot, TranscriptBlock } from '../pty/screen.ts';

/**
 * Follows one turn (text sent, or a dialog answered) through successive snapshots: it has ended once
 * Claude stopped to ask permission, or is idle again after having been busy (or showing a new reply, or a slash
 * command's output, for a turn too quick to be seen working).
 */
export class TurnWatch {
  private sawBusy = false;
  /** How many times the screen showed the slash command typed, before it was. */
  private readonly commandsBefore: number;

  /**
   * `command`: the slash command the turn runs, if it runs one, with the `blocks` on the screen before it was typed. A
   * command the CLI runs itself (`/compact`) may be over before any read sees it working, and leaves the earlier reply
   * the last on the screen: its end is what it printed under its own prompt.
   */
  constructor(
    private readonly baselineResponse: string | null,
    private readonly command: string | null = null,
    blocks: readonly TranscriptBlock[] = [],
  ) {
    this.commandsBefore = command === null ? 0 : promptsOf(blocks, command);
  }

  /** Feed each snapshot; true once the turn has ended. */
  ended(snapshot: SessionSnapshot): boolean {
    if (snapshot.state === 'working') this.sawBusy = true;
    if (snapshot.state === 'waiting_permission') return true;
    if (snapshot.state !== 'idle') return false;
    return this.sawBusy || snapshot.lastResponse !== this.baselineResponse || this.commandPrinted(snapshot.blocks);
  }

  /** The command shows typed once more than before, with something printed under it (its reply, or the CLI's `⎿` line). */
  private commandPrinted(blocks: readonly TranscriptBlock[]): boolean {
    if (this.command === null || promptsOf(blocks, this.command) <= this.commandsBefore) return false;
    return Boolean(commandReply(blocks, this.command));
  }
}

/** How many prompt blocks on the screen show `text` typed. */
function promptsOf(blocks: readonly TranscriptBlock[], text: string): number {
  return blocks.filter((block) => block.kind === 'prompt' && block.text === text).length;
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
