import serializeAddon from '@xterm/addon-serialize';
import xterm from '@xterm/headless';
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
  private readonly serializer = new SerializeAddon();
  private currentTitle = '';
  /** Characters handed to `write` that xterm has not parsed yet. */
  private backlog = 0;
  /** The visible rows as last read, and the rows xterm may have changed since (null: all of them). */
  private lines: string[] = [];
  private dirty: { start: number; end: number } | null = null;
  /** Rows whose text changed since the last `takeChangedRows`. */
  private changed = new Set<number>();

  constructor(options: { cols: number; rows: number; scrollback?: number; onReply?: (data: string) => void }) {
    this.xterm = new Terminal({ cols: options.cols, rows: options.rows, scrollback: options.scrollback ?? 1000, allowProposedApi: true });
    this.xterm.loadAddon(this.serializer);
    this.xterm.onTitleChange((title) => (this.currentTitle = title));
    if (options.onReply) this.xterm.onData(options.onReply);
    this.markAllDirty();
    // xterm's parser reports the rows each write touched (its renderer's refresh request, which the
    // headless build leaves unused); a scroll, a buffer switch (alternate screen) or a resize moves every row.
    requestRefreshRows(this.xterm)((rows) => (rows ? this.markDirty(rows.start, rows.end) : this.markAllDirty()));
    this.xterm.onScroll(() => this.markAllDirty());
    this.xterm.buffer.onBufferChange(() => this.markAllDirty());
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
    const buffer = this.xterm.buffer.active;
    return { lines: [...this.lines], cursor: { row: buffer.cursorY, col: buffer.cursorX }, title: this.currentTitle };
  }

  /** Rows whose text changed since the last call (read from xterm as `screen` does), top to bottom. */
  takeChangedRows(): number[] {
    this.refreshLines();
    const rows = [...this.changed].sort((a, b) => a - b);
    this.changed.clear();
    return rows;
  }

  private refreshLines(): void {
    const dirty = this.dirty;
    if (!dirty) return;
    this.dirty = null;
    const buffer = this.xterm.buffer.active;
    const rows = this.xterm.rows;
    if (this.lines.length !== rows) this.lines.length = rows;
    for (let row = Math.max(0, dirty.start); row <= Math.min(rows - 1, dirty.end); row++) {
      const text = buffer.getLine(buffer.viewportY + row)?.translateToString(true) ?? '';
      if (this.lines[row] === text) continue;
      this.lines[row] = text;
      this.changed.add(row);
    }
  }

  private markDirty(start: number, end: number): void {
    this.dirty = this.dirty ? { start: Math.min(this.dirty.start, start), end: Math.max(this.dirty.end, end) } : { start, end };
  }

  private markAllDirty(): void {
    this.markDirty(0, Number.MAX_SAFE_INTEGER);
  }

  /** The screen as escape sequences that redraw it: what an attaching client is sent first. */
  serialize(): string {
    return this.serializer.serialize({ scrollback: 0 });
  }

  resize(cols: number, rows: number): void {
    this.xterm.resize(cols, rows);
    this.markAllDirty();
  }

  dispose(): void {
    this.xterm.dispose();
  }
}

type RowRange = { start: number; end: number } | undefined;

/**
 * xterm's event of the rows a parsed write touched (viewport rows; undefined: all). Not in its public API:
 * reached through the core of @xterm/headless 6.0 (pinned), and checked here so an upgrade that moves it
 * fails loudly rather than leaving the screen stale.
 */
function requestRefreshRows(terminal: XtermTerminal): (listener: (rows: RowRange) => void) => unknown {
  const handler = (terminal as unknown as { _core?: { _inputHandler?: { onRequestRefreshRows?: (listener: (rows: RowRange) => void) => unknown } } })._core?._inputHandler;
  const event = handler?.onRequestRefreshRows;
  if (typeof event !== 'function') throw new Error("@xterm/headless no longer exposes its input handler's onRequestRefreshRows: the screen cache cannot follow changed rows");
  return event.bind(handler);
}

/** The visible rows of a terminal as text. */
export function readScreen(terminal: XtermTerminal, title: string): Screen {
  const buffer = terminal.buffer.active;
  const lines: string[] = [];
  for (let row = 0; row < terminal.rows; row++) lines.push(buffer.getLine(buffer.viewportY + row)?.translateToString(true) ?? '');
  return { lines, cursor: { row: buffer.cursorY, col: buffer.cursorX }, title };
}
