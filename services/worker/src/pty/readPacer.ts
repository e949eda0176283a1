/**
 * Output that only ticks the spinner (or the header's mascot) is read at most this often, by either driver: the
 * spinner's clock counts seconds, and its status is the only thing such a read tells.
 */
export const ANIMATION_READ_MS = 500;

/** When a session reads its screen after the CLI wrote to it. */
export interface ReadTiming {
  /** Read this long after the last output (a frame the CLI writes in several chunks is read whole)… */
  settleMs: number;
  /** …and at least this often while output keeps coming. */
  maxStaleMs: number;
  /**
   * Output that only animated the screen (the spinner's tick, the header's mascot: see
   * `ScreenFollower.onlyAnimated`) is read at most this often: every frame of it would be read for the next
   * second of the spinner's clock, while what a session acts on (a dialog, a prompt, the input box's footer)
   * is written to other rows and read at once.
   */
  animationMs: number;
}

/**
 * Decides when to read the screen after each render, on a clock of its caller's (the worker's `Date.now()`,
 * or a recording's timestamps in the benchmark). Pure: no timer, only the arithmetic.
 */
export class ReadPacer {
  /** When the first output written since the last read that is no animation was rendered. */
  private staleSince: number | null = null;
  private lastRead = Number.NEGATIVE_INFINITY;

  constructor(private readonly timing: ReadTiming) {}

  /**
   * Output was rendered at `now`: the time at which to read the screen. `onlyAnimated`: everything written
   * since the last read is animation. Each render's answer replaces the one before.
   */
  rendered(now: number, onlyAnimated: boolean): number {
    const { settleMs, maxStaleMs, animationMs } = this.timing;
    if (onlyAnimated) return Math.max(now + settleMs, this.lastRead + animationMs);
    this.staleSince ??= now;
    return now - this.staleSince >= maxStaleMs ? now : now + settleMs;
  }

  /** The screen was read at `now` (when the pacer asked, or because a reader wanted it then). */
  read(now: number): void {
    this.staleSince = null;
    this.lastRead = now;
  }
}
