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

  constructor(options: { cols: number; rows: number; scrollback?: number; onReply?: (data: string) => void }) {
    this.xterm = new Terminal({ cols: options.cols, rows: options.rows, scrollback: options.scrollback ?? 1000, allowProposedApi: true });
    this.xterm.loadAddon(this.serializer);
    this.xterm.onTitleChange((title) => (this.currentTitle = title));
    if (options.onReply) this.xterm.onData(options.onReply);
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

  screen(): Screen {
    return readScreen(this.xterm, this.currentTitle);
  }

  /** The screen as escape sequences that redraw it: what an attaching client is sent first. */
  serialize(): string {
    return this.serializer.serialize({ scrollback: 0 });
  }

  resize(cols: number, rows: number): void {
    this.xterm.resize(cols, rows);
  }

  dispose(): void {
    this.xterm.dispose();
  }
}

/** The visible rows of a terminal as text. */
export function readScreen(terminal: XtermTerminal, title: string): Screen {
  const buffer = terminal.buffer.active;
  const lines: string[] = [];
  for (let row = 0; row < terminal.rows; row++) lines.push(buffer.getLine(buffer.viewportY + row)?.translateToString(true) ?? '');
  return { lines, cursor: { row: buffer.cursorY, col: buffer.cursorX }, title };
}
