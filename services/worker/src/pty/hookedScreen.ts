import type { MissionEventDraft } from '@mission/contracts';
import { type BlockingDialog, BlockingDialogFollower } from './blockingDialog.ts';
import type { ScreenWrites } from './readPacer.ts';
import type { SessionSnapshot } from './screen.ts';
import { type ChangingScreen, ScreenFollower } from './screenFollower.ts';
import { STARTING_SNAPSHOT, screenEvents } from './snapshotDiff.ts';

/**
 * What the hooks driver takes from the screen (the hooks and the transcript file give the rest): at each read,
 * the snapshot (readiness, the spinner), its title and status events against the read before, and the blocking
 * dialog shown, looked for again only when a row changed. HookedSession reads through it, and so does the screen
 * benchmark: what it measures is what the worker does.
 */
export class HookedScreen {
  /** The snapshot of the last read (one of a session that has not started before the first). */
  snapshot: SessionSnapshot = STARTING_SNAPSHOT;
  /** The blocking dialog the screen showed at its last change (the screen's rows alone decide it). */
  blocking: BlockingDialog | null = null;
  /** Parses the screen again only where it changed since the last read. */
  readonly follower: ScreenFollower;
  /** Looks for a blocking dialog again only where the screen changed since the last read. */
  private readonly dialogs = new BlockingDialogFollower();

  constructor(source: ChangingScreen) {
    // The frame alone: the transcript's blocks come from the transcript file.
    this.follower = new ScreenFollower(source, 'frame');
  }

  /** What the CLI wrote since the last read ({@link ScreenFollower.written}). */
  written(): ScreenWrites {
    return this.follower.written();
  }

  /** Reads the screen: the title and status events since the last read. */
  read(): MissionEventDraft[] {
    const next = this.follower.read();
    const events = screenEvents(this.snapshot, next);
    this.snapshot = next;
    this.blocking = this.dialogs.read(this.follower.lines, this.follower.changedRows, next);
    return events;
  }
}
