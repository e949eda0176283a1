import type { XtermBufferLine } from './rowText.ts';

/** A cell's first number (of three: content, foreground, background) holds all of its text; this bit, text kept aside. */
const IS_COMBINED_MASK = 0x200000;

/**
 * The content of each row's cells (the first of xterm's three numbers per cell) as last read, so that a row xterm
 * wrote again with the same characters (a frame the CLI redraws whole, a recoloured spinner) is told unchanged
 * without decoding it: the text of a row is a function of its cells' content numbers, unless one of them is
 * combined (its text is kept aside, in `_combined`), which is then never told unchanged.
 */
export class RowContents {
  private kept: (Uint32Array | null)[];

  constructor(rows: number) {
    this.kept = new Array<Uint32Array | null>(rows).fill(null);
  }

  /** `line`'s cells hold what they held when `keep(row, …)` last ran (never true after `forget`). */
  same(row: number, line: XtermBufferLine): boolean {
    const kept = this.kept[row];
    const cols = line.length;
    if (!kept || kept.length !== cols) return false;
    const data = line._data;
    for (let col = 0; col < cols; col++) if (data[col * 3] !== kept[col]) return false;
    return true;
  }

  /** Remembers `line`'s cells as read at `row` (a row holding a combined cell is forgotten instead). */
  keep(row: number, line: XtermBufferLine): void {
    const cols = line.length;
    let kept = this.kept[row];
    if (!kept || kept.length !== cols) kept = this.kept[row] = new Uint32Array(cols);
    const data = line._data;
    for (let col = 0; col < cols; col++) {
      const content = data[col * 3] ?? 0;
      if (content & IS_COMBINED_MASK) {
        this.kept[row] = null;
        return;
      }
      kept[col] = content;
    }
  }

  forget(row: number): void {
    if (row < this.kept.length) this.kept[row] = null;
  }

  /** The screen has `rows` rows now: nothing is remembered. */
  resize(rows: number): void {
    this.kept = new Array<Uint32Array | null>(rows).fill(null);
  }
}
