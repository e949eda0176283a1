import serializeAddon from '@xterm/addon-serialize';
import xterm from '@xterm/headless';
import { DirtyRows } from './dirtyRows.ts';
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
  private readonly serializer = new SerializeAddon();
  private currentTitle = '';
  /** Characters handed to `write` that xterm has not parsed yet. */
  private backlog = 0;
  /** The visible rows as last read, and the rows xterm may have changed since. */
  private lines: string[] = [];
  private readonly dirty: DirtyRows;
  private readonly rowText: RowText;
  /** Rows whose text changed since the last `takeChangedRows`. */
  private changed = new Set<number>();
  /** How many rows were read from xterm as text (only those it wrote since they were last read). */
  readonly counts = { rowsRead: 0 };

  constructor(options: { cols: number; rows: number; scrollback?: number; onReply?: (data: string) => void }) {
    this.xterm = new Terminal({ cols: options.cols, rows: options.rows, scrollback: options.scrollback ?? 1000, allowProposedApi: true });
    this.xterm.loadAddon(this.serializer);
    this.xterm.onTitleChange((title) => (this.currentTitle = title));
    if (options.onReply) this.xterm.onData(options.onReply);
    this.dirty = new DirtyRows(options.rows);
    this.rowText = new RowText(options.cols);
    // xterm's parser tells each row it writes (for its renderer, which the headless build leaves unused); a
    // scroll, a buffer switch (alternate screen), a reset or a resize moves every row.
    followWrittenRows(this.xterm, this.dirty);
    this.xterm.onScroll(() => this.dirty.markAll());
    this.buffers = this.xterm.buffer;
    this.buffers.onBufferChange(() => this.dirty.markAll());
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

  /** The visible rows as text: only the rows xterm touched since the last read are read again. */
  screen(): Screen {
    this.refreshLines();
    const buffer = this.buffers.active;
    return { lines: [...this.lines], cursor: { row: buffer.cursorY, col: buffer.cursorX }, title: this.currentTitle };
  }

  /** Rows whose text changed since the last call (read from xterm as `screen` does), top to bottom. */
  takeChangedRows(): number[] {
    this.refreshLines();
    const rows = [...this.changed].sort((a, b) => a - b);
    this.changed.clear();
    return rows;
  }

  /** Every row xterm wrote since the last read is one of `rows` (none written counts): told from its marks, no row is read. */
  writtenOnlyIn(rows: ReadonlySet<number>): boolean {
    const buffer = this.buffers.active;
    return buffer.viewportY === buffer.baseY && this.dirty.onlyAmong(rows);
  }

  private refreshLines(): void {
    const buffer = this.buffers.active;
    const rows = this.xterm.rows;
    // xterm tells rows from the bottom page of the buffer: a viewport scrolled back shows other rows.
    if (buffer.viewportY !== buffer.baseY) this.dirty.markAll();
    if (this.lines.length !== rows) this.lines.length = rows;
    for (const row of this.dirty.take()) {
      this.counts.rowsRead++;
      const line = bufferLine(buffer.getLine(buffer.viewportY + row));
      const text = line ? this.rowText.read(line) : '';
      if (this.lines[row] === text) continue;
      this.lines[row] = text;
      this.changed.add(row);
    }
  }

  /** The screen as escape sequences that redraw it: what an attaching client is sent first. */
  serialize(): string {
    return this.serializer.serialize({ scrollback: 0 });
  }

  resize(cols: number, rows: number): void {
    this.xterm.resize(cols, rows);
    this.dirty.resize(rows);
  }

  dispose(): void {
    this.xterm.dispose();
  }
}

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
 * Tells `dirty` each row xterm's parser writes, through the dirty-row tracker its renderer uses. Not in
 * xterm's public API: reached through the core of @xterm/headless 6.0 (pinned), and checked here so an upgrade
 * that moves it fails loudly rather than leaving the screen stale. The tracker's marks are what the renderer
 * repaints: `print` marks only the first and last row it wrote (it may wrap over several) and `eraseInDisplay`
 * only the ends of the rows it erased, so their marks are read as spans; `_setCursor` marks the rows the cursor
 * left and reached, and `_restrictCursor` (run before every relative move: `\r\x1b[34B` from the top marked row 0)
 * the row it is on, which neither writes, so their marks are ignored.
 */
function followWrittenRows(terminal: XtermTerminal, dirty: DirtyRows): void {
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
    dirty.mark(y);
  };
  tracker.markRangeDirty = (from, to) => {
    markRangeDirty(from, to);
    dirty.markRange(from, to);
  };
  tracker.markAllDirty = () => {
    markAllDirty();
    dirty.markAll();
  };
  handler.print = (data, start, end) => {
    dirty.beginSpan();
    try {
      print.call(handler, data, start, end);
    } finally {
      dirty.endSpan();
    }
  };
  handler.eraseInDisplay = (params, respectProtect) => {
    dirty.beginSpan();
    try {
      return eraseInDisplay.call(handler, params, respectProtect);
    } finally {
      dirty.endSpan();
    }
  };
  handler._setCursor = (x, y) => {
    dirty.beginCursorMove();
    try {
      setCursor.call(handler, x, y);
    } finally {
      dirty.endCursorMove();
    }
  };
  handler._restrictCursor = (maxCol) => {
    dirty.beginCursorMove();
    try {
      restrictCursor.call(handler, maxCol);
    } finally {
      dirty.endCursorMove();
    }
  };
  onRequestReset.call(handler, () => dirty.markAll());
}

/** The visible rows of a terminal as text. */
export function readScreen(terminal: XtermTerminal, title: string): Screen {
  const buffer = terminal.buffer.active;
  const lines: string[] = [];
  for (let row = 0; row < terminal.rows; row++) lines.push(buffer.getLine(buffer.viewportY + row)?.translateToString(true) ?? '');
  return { lines, cursor: { row: buffer.cursorY, col: buffer.cursorX }, title };
}
