/**
 * Output that only ticks the spinner (or the header's mascot) is read at most this often by the screen driver: the
 * spinner's clock counts seconds, and its status is the only thing such a read tells.
 */
export const ANIMATION_READ_MS = 500;

/**
 * What the CLI wrote since the last read, told from the terminal's row marks alone (`ScreenFollower.written`):
 * only rows it animates (the spinner's line, the header's mascot), only rows of the transcript above the input
 * box (new or growing blocks), or anything else (the box, its footer, a dialog, a redraw of the whole screen).
 */
export type ScreenWrites = 'animation' | 'transcript' | 'frame';

/** When a session reads its screen after the CLI wrote to it. */
export interface ReadTiming {
  /** Read this long after the last output (a frame the CLI writes in several chunks is read whole)… */
  settleMs: number;
  /** …and at least this often while output keeps coming. */
  maxStaleMs: number;
  /** Output that only animated the screen is read at most this often. */
  animationMs: number;
  /**
   * Output that only wrote the transcript is read at most this often: what a session acts on (its state, a
   * dialog) is drawn in the input box, its footer or instead of the box, and read once it settled.
   */
  transcriptMs: number;
}

/**
 * Decides when to read the screen after each render, on a clock of its caller's (the worker's `Date.now()`,
 * or a recording's timestamps in the benchmark). Pure: no timer, only the arithmetic.
 */
export class ReadPacer {
  /** When the first output not read yet was rendered. */
  private staleSince: number | null = null;
  private lastRead = Number.NEGATIVE_INFINITY;

  constructor(private readonly timing: ReadTiming) {}

  /** Output was rendered at `now`, `writes` told what it wrote since the last read: the time at which to read the screen. Each render's answer replaces the one before. */
  rendered(now: number, writes: ScreenWrites): number {
    const { settleMs, maxStaleMs, animationMs, transcriptMs } = this.timing;
    this.staleSince ??= now;
    const settled = now - this.staleSince >= maxStaleMs ? now : now + settleMs;
    if (writes === 'frame') return settled;
    return Math.max(settled, this.lastRead + (writes === 'animation' ? animationMs : transcriptMs));
  }

  /** The screen was read at `now` (when the pacer asked, or because a reader wanted it then). */
  read(now: number): void {
    this.staleSince = null;
    this.lastRead = now;
  }
}
