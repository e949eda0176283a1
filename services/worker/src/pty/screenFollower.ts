import type { SessionSnapshot } from './screen.ts';
import { STARTING_SNAPSHOT } from './snapshotDiff.ts';
import type { RowSet } from './dirtyRows.ts';
import type { ScreenWrites } from './readPacer.ts';
import { isInertLine, type ParsedScreen, parseScreenRows, reframe, respin, type ScreenReading } from './screenParser.ts';

/** A terminal that tells which rows changed since it was last asked (HeadlessTerminal, PtySession). */
export interface ChangingScreen {
  /** The visible rows, each trimmed at its end, without a copy: the terminal's own, valid until it is read again. */
  rows(): readonly string[];
  /** The title set by the program ("" if none). */
  readonly title: string;
  /** Rows whose text changed since the last call. */
  takeChangedRows(): number[];
  /** Every row written since the last `takeChangedRows` is one of `rows` (none written counts); no row is read. */
  writtenOnlyIn(rows: RowSet): boolean;
  /** The program is drawing a frame: the screen shows part of one (`HeadlessTerminal.drawing`). */
  readonly drawing: boolean;
}

/**
 * Follows one terminal's screen as snapshots, parsing it again only where it changed: an unchanged
 * screen (or one where only the header's mascot moved) gives the snapshot it gave before, a tick of the spinner (only the status line changed) the
 * same snapshot with the new status ({@link respin}), a change inside the input box or its footer the same
 * transcript with the state and status the footer gives ({@link reframe}), anything else a parse of the whole screen.
 * Every snapshot equals `parseScreen` of the last whole frame: the screen at that moment, unless the program is
 * drawing a frame then (reading what `reading` says: the hooks driver reads the frame alone).
 */
export class ScreenFollower {
  private parsed: ParsedScreen | null = null;
  /** The rows of the last parse that the CLI animates: its status line and the header's rows. */
  private animatedRows: RowSet = new Set();
  /** The rows of the last parse above its input box (null when it had none: a dialog, or the CLI starting). */
  private transcriptRows: RowSet | null = null;
  /** How often the screen was read, and how often it had to be parsed whole. */
  readonly counts = { reads: 0, parses: 0 };
  /** The rows whose text changed at the last read, top to bottom (what is read off the rows alone can be kept otherwise). */
  changedRows: readonly number[] = [];
  /** The screen's rows as of the last read that found one changed (the terminal's own: read them before the next read). */
  lines: readonly string[] = [];

  constructor(
    private readonly source: ChangingScreen,
    private readonly reading: ScreenReading = 'whole',
  ) {}

  /**
   * What the CLI wrote since the last read, told from the terminal's marks alone (nothing is read; the rows stay
   * marked until the read): only rows it animates (the spinner's line, the header's mascot) or nothing, only
   * rows above the input box, or more. Reading the first tells most likely a new tick of the status alone, the
   * second new blocks but the same state (it is read off the box, its footer, or a dialog drawn instead of it).
   */
  written(): ScreenWrites {
    if (!this.parsed) return 'frame';
    if (this.source.writtenOnlyIn(this.animatedRows)) return 'animation';
    return this.transcriptRows && this.source.writtenOnlyIn(this.transcriptRows) ? 'transcript' : 'frame';
  }

  read(): SessionSnapshot {
    this.counts.reads++;
    const parsed = this.parsed;
    // Part of a frame tells nothing: the last whole one stands (with the title, which is no part of a frame), and the
    // rows changed since stay marked for the next read.
    if (this.source.drawing) {
      this.changedRows = [];
      const whole = parsed?.snapshot ?? STARTING_SNAPSHOT;
      return whole.title === this.source.title ? whole : { ...whole, title: this.source.title };
    }
    const rows = this.source.takeChangedRows();
    this.changedRows = rows;
    const title = this.source.title;
    // Nothing changed: the rows are not even read.
    if (parsed && rows.length === 0 && title === parsed.snapshot.title) return parsed.snapshot;
    const lines = this.source.rows();
    this.lines = lines;
    // The header's animation changes nothing the parser reads.
    const changed = rows.filter((row) => !(parsed?.inertRows.includes(row) && isInertLine(lines[row] ?? '')));
    if (parsed && changed.length === 0) {
      if (title === parsed.snapshot.title) return parsed.snapshot;
      this.parsed = { ...parsed, snapshot: { ...parsed.snapshot, title } };
      return this.parsed.snapshot;
    }
    const row = changed[0];
    if (parsed && changed.length === 1 && row === parsed.statusRow) {
      const snapshot = respin(parsed, lines[row] ?? '', title);
      if (snapshot) {
        this.parsed = { ...parsed, snapshot };
        return snapshot;
      }
    }
    // Only what is typed in the input box, or its footer, changed.
    const reframed = parsed && reframe(parsed, lines, changed, title);
    if (reframed) {
      this.parsed = reframed;
      return reframed.snapshot;
    }
    this.counts.parses++;
    const next = parseScreenRows({ lines, title, trimmed: true }, this.reading);
    this.parsed = next;
    this.animatedRows = new AnimatedRows(next);
    this.transcriptRows = next.box && new RowsAbove(next.box.top);
    return next.snapshot;
  }
}

/*
 * The row sets of a parse are tests rather than Sets filled row by row (the transcript's can hold 35 rows),
 * and classes rather than object literals with an arrow (the loader names each arrow made, at every parse).
 */

/** The rows a parse found the CLI animates: its status line and the header's rows. */
class AnimatedRows implements RowSet {
  constructor(private readonly parsed: ParsedScreen) {}

  has(row: number): boolean {
    return row === this.parsed.statusRow || this.parsed.inertRows.includes(row);
  }
}

/** The rows above `end`. */
class RowsAbove implements RowSet {
  constructor(private readonly end: number) {}

  has(row: number): boolean {
    return row < this.end;
  }
}
