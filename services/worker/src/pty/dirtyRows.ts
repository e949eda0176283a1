/** Rows of a screen, told one by one (a Set of row numbers is one). */
export interface RowSet {
  has(row: number): boolean;
}

/**
 * The rows of a screen whose cells may have changed since they were last taken, told mark by mark as the
 * terminal's parser writes: one row, a range of rows, or every row. An operation that marks only the ends of
 * the rows it wrote (a print that wraps over several rows, an erase of the display) runs inside a span, whose
 * marks stand for every row from the lowest to the highest; marks made while only the cursor moves (which
 * changes no cell) are ignored. Pure: no terminal, only the bookkeeping.
 */
export class DirtyRows {
  private flags: Uint8Array;
  private all = true;
  private spans = 0;
  private spanLow = 0;
  private spanHigh = -1;
  private moving = 0;
  /** The lowest and highest rows marked since the last take (low > high: none), so that none other is looked at. */
  private low = Number.MAX_SAFE_INTEGER;
  private high = -1;

  constructor(private rows: number) {
    this.flags = new Uint8Array(rows);
  }

  mark(row: number): void {
    if (this.moving > 0) return;
    if (this.spans > 0) {
      this.spanLow = Math.min(this.spanLow, row);
      this.spanHigh = Math.max(this.spanHigh, row);
      return;
    }
    this.flag(row, row);
  }

  markRange(from: number, to: number): void {
    if (this.moving === 0) this.flag(from, to);
  }

  private flag(from: number, to: number): void {
    const low = Math.max(0, Math.min(from, to));
    const high = Math.min(this.rows - 1, Math.max(from, to));
    for (let row = low; row <= high; row++) this.flags[row] = 1;
    if (low <= high) {
      this.low = Math.min(this.low, low);
      this.high = Math.max(this.high, high);
    }
  }

  markAll(): void {
    this.all = true;
  }

  /** Starts an operation whose marks stand for every row between the lowest and the highest it marks (spans nest). */
  beginSpan(): void {
    if (this.spans++ > 0) return;
    this.spanLow = Number.MAX_SAFE_INTEGER;
    this.spanHigh = -1;
  }

  endSpan(): void {
    if (--this.spans === 0 && this.spanHigh >= 0) this.flag(this.spanLow, this.spanHigh);
  }

  /** Starts a move of the cursor alone: its marks are ignored until `endCursorMove`. */
  beginCursorMove(): void {
    this.moving++;
  }

  endCursorMove(): void {
    this.moving--;
  }

  /** The screen has `rows` rows now: every row may have changed. */
  resize(rows: number): void {
    if (rows !== this.rows) {
      this.rows = rows;
      this.flags = new Uint8Array(rows);
      this.low = Number.MAX_SAFE_INTEGER;
      this.high = -1;
    }
    this.all = true;
  }

  /** Every row marked since the last `take` is one of `rows` (none marked counts; `markAll` never does). */
  onlyAmong(rows: RowSet): boolean {
    if (this.all) return false;
    for (let row = this.low; row <= this.high; row++) if (this.flags[row] === 1 && !rows.has(row)) return false;
    return true;
  }

  /** The rows marked since the last call, top to bottom (every row after `markAll`), and forgets them. */
  take(): number[] {
    const taken: number[] = [];
    const high = this.all ? this.rows - 1 : this.high;
    for (let row = this.all ? 0 : this.low; row <= high; row++) {
      if (this.all || this.flags[row] === 1) taken.push(row);
      this.flags[row] = 0;
    }
    this.all = false;
    this.low = Number.MAX_SAFE_INTEGER;
    this.high = -1;
    return taken;
  }
}
