import type { MissionEventDraft } from '@mission/contracts';
import { type BlockingDialog, BlockingDialogFollower, blockedReason, sameBlockingDialog } from './blockingDialog.ts';
import type { ScreenWrites } from './readPacer.ts';
import type { ScreenState, SessionSnapshot } from './screen.ts';
import { type ChangingScreen, ScreenFollower } from './screenFollower.ts';
import { SnapshotDiffer, STARTING_SNAPSHOT } from './snapshotDiff.ts';

/** What the screen driver reads a session's state as: the parser's, or `blocked` by a dialog no permission request is. */
export type LiveScreenState = ScreenState | 'blocked';

/**
 * What the screen driver takes from the screen (everything: it has no hooks or transcript): at each read, the
 * snapshot, the events of what changed since the read before (the transcript's blocks, the title, the status, a
 * permission dialog, the state), and the blocking dialog shown, looked for again only when a row changed. LiveSession
 * reads through it, and so does the screen benchmark: what it measures is what the worker does.
 */
export class LiveScreen {
  /** The snapshot of the last read (one of a session that has not started before the first). */
  snapshot: SessionSnapshot = STARTING_SNAPSHOT;
  /** The blocking dialog the screen showed at its last change (the screen's rows alone decide it). */
  blocking: BlockingDialog | null = null;
  /** Parses the screen again only where it changed since the last read. */
  readonly follower: ScreenFollower;
  private readonly differ = new SnapshotDiffer();
  /** Looks for a blocking dialog again only where the screen changed since the last read. */
  private readonly dialogs = new BlockingDialogFollower();

  constructor(source: ChangingScreen) {
    this.follower = new ScreenFollower(source);
  }

  /** The state of the last read: `blocked` while a blocking dialog shows (its input box may show too: a notice under it). */
  get state(): LiveScreenState {
    return this.blocking ? 'blocked' : this.snapshot.state;
  }

  /** What the CLI wrote since the last read ({@link ScreenFollower.written}). */
  written(): ScreenWrites {
    return this.follower.written();
  }

  /**
   * Reads the screen: the events since the last read, a `state` event first when the state changed (`blocked`, with
   * the dialog's kind and text as its `reason`), or when a dialog replaced the one that blocked it.
   */
  read(): MissionEventDraft[] {
    const before = this.state;
    const shown = this.blocking;
    const next = this.follower.read();
    const events = this.differ.next(next);
    this.snapshot = next;
    this.blocking = this.dialogs.read(this.follower.lines, this.follower.changedRows, next);
    // The differ's state event (its first, when it has one) tells the parser's state: the one read here replaces it.
    const told = events[0]?.type === 'state' ? events.slice(1) : events;
    const replaced = shown !== null && this.blocking !== null && !sameBlockingDialog(shown, this.blocking);
    if (this.state === before && !replaced) return told;
    const reason = this.blocking ? { reason: blockedReason(this.blocking) } : {};
    return [{ type: 'state', payload: { state: this.state, ...reason } }, ...told];
  }
}
