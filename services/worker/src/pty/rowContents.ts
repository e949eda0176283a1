import type { XtermBufferLine } from './rowText.ts';

/** A cell's first number (of three: content, foreground, background) holds its character; this bit, its text kept aside. */
const IS_COMBINED_MASK = 0x200000;

/** One row's cells as last read: each cell's content number, and the text of its combined cells (by column). */
interface KeptRow {
  contents: Uint32Array;
  combined: Map<number, string> | null;
}

/**
 * The content of each row's cells (the first of xterm's three numbers per cell) as last read, so that a row xterm
 * wrote again with the same characters (a frame the CLI redraws whole, a recoloured spinner, a row the cursor
 * only crossed) is told unchanged without decoding it: the text of a row is a function of its cells' content
 * numbers and of the text of its combined cells (a combining mark, an emoji sequence), kept aside in `_combined`.
 */
export class RowContents {
  private kept: (KeptRow | null)[];

  constructor(rows: number) {
    this.kept = new Array<KeptRow | null>(rows).fill(null);
  }

  /** `line`'s cells hold what they held when `keep(row, …)` last ran (never true after `forget`). */
  same(row: number, line: XtermBufferLine): boolean {
    const kept = this.kept[row];
    const cols = line.length;
    if (!kept || kept.contents.length !== cols) return false;
    const { contents } = kept;
    const data = line._data;
    for (let col = 0; col < cols; col++) if (data[col * 3] !== contents[col]) return false;
    if (kept.combined) for (const [col, text] of kept.combined) if (line._combined[col] !== text) return false;
    return true;
  }

  /** Remembers `line`'s cells as read at `row`. */
  keep(row: number, line: XtermBufferLine): void {
    const cols = line.length;
    let kept = this.kept[row];
    if (!kept || kept.contents.length !== cols) kept = this.kept[row] = { contents: new Uint32Array(cols), combined: null };
    kept.combined = null;
    const { contents } = kept;
    const data = line._data;
    for (let col = 0; col < cols; col++) {
      const content = data[col * 3] ?? 0;
      contents[col] = content;
      if (content & IS_COMBINED_MASK) (kept.combined ??= new Map()).set(col, line._combined[col] ?? '');
    }
  }

  forget(row: number): void {
    if (row < this.kept.length) this.kept[row] = null;
  }

  /** The screen has `rows` rows now: nothing is remembered. */
  resize(rows: number): void {
    this.kept = new Array<KeptRow | null>(rows).fill(null);
  }
}
