import serializeAddon from '@xterm/addon-serialize';
import xterm from '@xterm/headless';
import { DirtyRows, type RowSet } from './dirtyRows.ts';
import { isXtermBufferLine, RowText, type XtermBufferLine } from './rowText.ts';
import type { Screen } from './screen.ts';

const { Terminal } = xterm;
const { SerializeAddon } = serializeAddon;

export type XtermTerminal = InstanceType<typeof Terminal>;

/**
 * An @xterm/headless terminal: renders what the program writes, answers its terminal queries
 * (cursor position, device attributes) through `onReply`, and remembers the OSC title.
 */
export class HeadlessTerminal {
  readonly xterm: XtermTerminal;
  /** xterm's buffers (its getter checks an option on every call: read once). */
  private readonly buffers: XtermTerminal['buffer'];
  /** Loaded at the first `serialize` (an attach): a terminal no one attaches to does without it (≈ 0.1 ms at each start). */
  private serializer: InstanceType<typeof SerializeAddon> | null = null;
  private currentTitle = '';
  /** Characters handed to `write` that xterm has not parsed yet. */
  private backlog = 0;
  /** The rows of each of xterm's buffers as last read, and the rows xterm may have changed since. */
  private readonly pages: Record<'normal' | 'alternate', ScreenPage>;
  /** The page of the buffer xterm shows. */
  private page: ScreenPage;
  /** The rows the last read showed, when xterm showed another buffer since (the next read compares every row with them). */
  private shownBefore: string[] | null = null;
  /** The marks ignored while xterm switches back to the normal buffer (see `followBuffer`). */
  private switching: DirtyRows | null = null;
  private readonly rowText: RowText;
  /** Rows whose text changed since the last `takeChangedRows` (1), and how many. */
  private changed: Uint8Array;
  private changedCount = 0;
  /** How many rows were read from xterm as text (only those it wrote since they were last read). */
  readonly counts = { rowsRead: 0 };

  constructor(options: { cols: number; rows: number; scrollback?: number; onReply?: (data: string) => void }) {
    this.xterm = new Terminal({ cols: options.cols, rows: options.rows, scrollback: options.scrollback ?? 1000, allowProposedApi: true });
    this.xterm.onTitleChange((title) => (this.currentTitle = title));
    if (options.onReply) this.xterm.onData(options.onReply);
    this.pages = { normal: newPage(options.rows), alternate: newPage(options.rows) };
    this.page = this.pages.normal;
    this.rowText = new RowText(options.cols);
    this.changed = new Uint8Array(options.rows);
    // xterm's parser tells each row it writes (for its renderer, which the headless build leaves unused) to the
    // page of the buffer it writes; a scroll or a resize moves every row, a reset clears both buffers.
    followWrittenRows(this.xterm, {
      marks: () => this.page.dirty,
      reset: () => {
        for (const page of Object.values(this.pages)) page.dirty.markAll();
      },
    });
    this.buffers = this.xterm.buffer;
    // xterm tells a switch of buffers (the alternate screen) as a scroll too, and before the switch itself.
    this.xterm.onScroll(() => this.followBuffer(true));
    this.buffers.onBufferChange(() => this.followBuffer(false));
  }

  /**
   * Follows a scroll (every row moved) or a switch of buffers: the other buffer's page is shown from then on.
   * The normal buffer keeps its rows while the alternate one is shown (only the CLI's own screen, which xterm
   * starts blank each time it is entered, is read again whole).
   */
  private followBuffer(scrolled: boolean): void {
    const type = this.buffers.active.type;
    const page = this.pages[type];
    if (page === this.page) {
      if (scrolled) page.dirty.markAll();
      else this.endSwitch();
      return;
    }
    this.shownBefore ??= [...this.page.lines];
    this.page = page;
    if (type === 'alternate') page.dirty.markAll();
    else if (scrolled) {
      // Right after telling the switch as a scroll, xterm marks every row of the normal buffer, which it did
      // not write: ignored, as a move of the cursor is, until it tells the switch itself.
      page.dirty.beginCursorMove();
      this.switching = page.dirty;
    }
  }

  private endSwitch(): void {
    this.switching?.endCursorMove();
    this.switching = null;
  }

  /** `parsed` runs once xterm has rendered `data`. */
  write(data: string, parsed?: () => void): void {
    this.backlog += data.length;
    this.xterm.write(data, () => {
      this.backlog -= data.length;
      parsed?.();
    });
  }

  get pendingChars(): number {
    return this.backlog;
  }

  get title(): string {
    return this.currentTitle;
  }

  /** The screen: a copy of {@link rows}, the cursor and the title. */
  screen(): Screen {
    const lines = [...this.rows()];
    const buffer = this.buffers.active;
    return { lines, cursor: { row: buffer.cursorY, col: buffer.cursorX }, title: this.currentTitle };
  }

  /**
   * The visible rows as text, each trimmed at its end: only the rows xterm touched since the last read are read
   * again. This terminal's own array, changed by its next read (`screen` copies it).
   */
  rows(): readonly string[] {
    this.refreshLines();
    return this.page.lines;
  }

  /**
   * The program is drawing a frame, so the screen shows part of one: it is inside a synchronized update (DEC mode
   * 2026, the marks Claude Code puts around each frame when told to: `CLAUDE_SCREEN_ENV`), or the screen is
   * blank (cleared for a redraw: continued after SIGSTOP, Claude Code clears its screen in a write of its own, then
   * writes the frame). Reads the rows xterm changed ({@link rows}).
   */
  get drawing(): boolean {
    return this.xterm.modes.synchronizedOutputMode || this.rows().every(isEmptyRow);
  }

  /** Rows whose text changed since the last call (read from xterm as `screen` does), top to bottom. */
  takeChangedRows(): number[] {
    this.refreshLines();
    const rows: number[] = [];
    const changed = this.changed;
    for (let row = 0; row < changed.length; row++) {
      if (changed[row] === 0) continue;
      rows.push(row);
      changed[row] = 0;
    }
    this.changedCount = 0;
    return rows;
  }

  /**
   * Every row xterm wrote since the last `takeChangedRows` is one of `rows` (none written counts): told from its marks
   * and from the rows found changed since (by `rows` or `drawing`), no row is read.
   */
  writtenOnlyIn(rows: RowSet): boolean {
    const buffer = this.buffers.active;
    return buffer.viewportY === buffer.baseY && this.shownBefore === null && this.page.dirty.onlyAmong(rows) && this.changedOnlyIn(rows);
  }

  private changedOnlyIn(rows: RowSet): boolean {
    if (this.changedCount === 0) return true;
    const changed = this.changed;
    for (let row = 0; row < changed.length; row++) if (changed[row] === 1 && !rows.has(row)) return false;
    return true;
  }

  private refreshLines(): void {
    const buffer = this.buffers.active;
    const rows = this.xterm.rows;
    const { dirty, lines } = this.page;
    // xterm tells rows from the bottom page of the buffer: a viewport scrolled back shows other rows.
    if (buffer.viewportY !== buffer.baseY) dirty.markAll();
    // After a switch of buffers, a row changed if it differs from what the last read showed (the other page).
    const before = this.shownBefore;
    for (const row of dirty.take()) {
      this.counts.rowsRead++;
      const line = bufferLine(buffer.getLine(buffer.viewportY + row));
      const text = line ? this.rowText.read(line) : '';
      if (lines[row] === text) continue;
      lines[row] = text;
      if (before === null) this.markChanged(row);
    }
    if (before === null) return;
    this.shownBefore = null;
    for (let row = 0; row < rows; row++) if (lines[row] !== before[row]) this.markChanged(row);
  }

  private markChanged(row: number): void {
    if (this.changed[row] === 1) return;
    this.changed[row] = 1;
    this.changedCount++;
  }

  /** The screen as escape sequences that redraw it: what an attaching client is sent first. */
  serialize(): string {
    if (!this.serializer) {
      this.serializer = new SerializeAddon();
      this.xterm.loadAddon(this.serializer);
    }
    return this.serializer.serialize({ scrollback: 0 });
  }

  resize(cols: number, rows: number): void {
    this.xterm.resize(cols, rows);
    for (const page of Object.values(this.pages)) {
      page.dirty.resize(rows);
      page.lines.length = Math.min(page.lines.length, rows);
    }
    if (this.changed.length !== rows) {
      const changed = new Uint8Array(rows);
      changed.set(this.changed.subarray(0, rows));
      this.changed = changed;
      this.changedCount = changed.reduce((count, flag) => count + flag, 0);
    }
  }

  dispose(): void {
    this.xterm.dispose();
  }
}

/** The rows of one of xterm's buffers as last read, and the rows xterm may have changed since. */
interface ScreenPage {
  dirty: DirtyRows;
  lines: string[];
}

const newPage = (rows: number): ScreenPage => ({ dirty: new DirtyRows(rows), lines: [] });

/** A row as `rows` reads it (trimmed at its end) with nothing on it. */
const isEmptyRow = (row: string): boolean => row === '';

/** The row behind xterm's public view of a line (its `_line`), checked: an upgrade that moves it fails loudly. */
function bufferLine(view: unknown): XtermBufferLine | undefined {
  if (view === undefined) return undefined;
  const line = (view as { _line?: unknown })._line;
  if (!isXtermBufferLine(line)) {
    throw new Error('@xterm/headless no longer keeps a line as this terminal reads it (_line with _data, _combined, getTrimmedLength)');
  }
  return line;
}

interface XtermInputHandler {
  _dirtyRowTracker?: { markDirty(y: number): void; markRangeDirty(from: number, to: number): void; markAllDirty(): void };
  print?: (data: Uint32Array, start: number, end: number) => void;
  eraseInDisplay?: (params: unknown, respectProtect?: boolean) => boolean;
  _setCursor?: (x: number, y: number) => void;
  _restrictCursor?: (maxCol?: number) => void;
  onRequestReset?: (listener: () => void) => unknown;
}

/**
 * Tells the marks of the page shown (`pages.marks()`) each row xterm's parser writes, through the dirty-row
 * tracker its renderer uses (a reset, which clears both buffers, is told to `pages.reset`). Not in
 * xterm's public API: reached through the core of @xterm/headless 6.0 (pinned), and checked here so an upgrade
 * that moves it fails loudly rather than leaving the screen stale. The tracker's marks are what the renderer
 * repaints: `print` marks only the first and last row it wrote (it may wrap over several) and `eraseInDisplay`
 * only the ends of the rows it erased, so their marks are read as spans; `_setCursor` marks the rows the cursor
 * left and reached, and `_restrictCursor` (run before every relative move: `\r\x1b[34B` from the top marked row 0)
 * the row it is on, which neither writes, so their marks are ignored.
 */
function followWrittenRows(terminal: XtermTerminal, pages: { marks(): DirtyRows; reset(): void }): void {
  const handler = (terminal as unknown as { _core?: { _inputHandler?: XtermInputHandler } })._core?._inputHandler;
  const tracker = handler?._dirtyRowTracker;
  const { print, eraseInDisplay, _setCursor: setCursor, _restrictCursor: restrictCursor, onRequestReset } = handler ?? {};
  if (
    !handler ||
    !tracker ||
    !print ||
    !eraseInDisplay ||
    !setCursor ||
    !restrictCursor ||
    !onRequestReset ||
    typeof tracker.markDirty !== 'function' ||
    typeof tracker.markRangeDirty !== 'function' ||
    typeof tracker.markAllDirty !== 'function'
  ) {
    throw new Error(
      '@xterm/headless no longer has the input handler this terminal follows (its dirty-row tracker, print, eraseInDisplay, _setCursor, _restrictCursor): the screen cache cannot follow changed rows',
    );
  }
  const markDirty = tracker.markDirty.bind(tracker);
  const markRangeDirty = tracker.markRangeDirty.bind(tracker);
  const markAllDirty = tracker.markAllDirty.bind(tracker);
  tracker.markDirty = (y) => {
    markDirty(y);
    pages.marks().mark(y);
  };
  tracker.markRangeDirty = (from, to) => {
    markRangeDirty(from, to);
    pages.marks().markRange(from, to);
  };
  tracker.markAllDirty = () => {
    markAllDirty();
    pages.marks().markAll();
  };
  handler.print = (data, start, end) => {
    const dirty = pages.marks();
    dirty.beginSpan();
    try {
      print.call(handler, data, start, end);
    } finally {
      dirty.endSpan();
    }
  };
  handler.eraseInDisplay = (params, respectProtect) => {
    const dirty = pages.marks();
    dirty.beginSpan();
    try {
      return eraseInDisplay.call(handler, params, respectProtect);
    } finally {
      dirty.endSpan();
    }
  };
  handler._setCursor = (x, y) => {
    const dirty = pages.marks();
    dirty.beginCursorMove();
    try {
      setCursor.call(handler, x, y);
    } finally {
      dirty.endCursorMove();
    }
  };
  handler._restrictCursor = (maxCol) => {
    const dirty = pages.marks();
    dirty.beginCursorMove();
    try {
      restrictCursor.call(handler, maxCol);
    } finally {
      dirty.endCursorMove();
    }
  };
  onRequestReset.call(handler, () => pages.reset());
}

/** The visible rows of a terminal as text, trimmed at their end, read with xterm's public API (what `screen` must equal). */
export function readScreen(terminal: XtermTerminal, title: string): Screen {
  const buffer = terminal.buffer.active;
  const lines: string[] = [];
  for (let row = 0; row < terminal.rows; row++)
    lines.push(
      buffer
        .getLine(buffer.viewportY + row)
        ?.translateToString(true)
        .trimEnd() ?? '',
    );
  return { lines, cursor: { row: buffer.cursorY, col: buffer.cursorX }, title };
}
