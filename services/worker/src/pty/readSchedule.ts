import { ReadPacer, type ReadTiming, type ScreenWrites } from './readPacer.ts';

export interface ReadScheduleDeps {
  timing: ReadTiming;
  /** What the CLI wrote since the last read (`ScreenFollower.written`). */
  written(): ScreenWrites;
  /** Reads the screen (and calls `reading`). */
  read(): void;
}

/**
 * The timer of one session's screen reads: after each render it reads when the {@link ReadPacer} says,
 * keeping the timer already set when the time is the same (each tick of the spinner would set one otherwise).
 */
export class ReadSchedule {
  private readonly pacer: ReadPacer;
  private timer: NodeJS.Timeout | null = null;
  private due = 0;

  constructor(private readonly deps: ReadScheduleDeps) {
    this.pacer = new ReadPacer(deps.timing);
  }

  /** Output was rendered. */
  rendered(): void {
    const now = Date.now();
    const due = this.pacer.rendered(now, this.deps.written());
    if (this.timer && due === this.due) return;
    if (this.timer) clearTimeout(this.timer);
    this.due = due;
    this.timer = setTimeout(() => this.deps.read(), Math.max(0, due - now));
  }

  /** Reads on the next tick whatever the pacing says: the session wants the screen looked at once what it does now is done. */
  soon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.due = Date.now();
    this.timer = setTimeout(() => this.deps.read(), 0);
  }

  /** The screen is read now (when this schedule said, or for a reader that wants it now): the scheduled read is dropped. */
  reading(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pacer.read(Date.now());
  }
}
