import { killProcessGroup } from '../processGroup.ts';
import type { TerminalSpawner } from '../spawner/spawner.ts';
import { PtyProcess, type TerminalExit } from './ptyProcess.ts';
import type { RowSet } from './dirtyRows.ts';
import type { Screen } from './screen.ts';
import { HeadlessTerminal } from './terminal.ts';

export interface PtySpawnOptions {
  /** Starts the program (the worker's spawner process): the worker itself never forks for it. */
  spawner: TerminalSpawner;
  bin: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  cols?: number;
  rows?: number;
}

/** Who typed: Mission (send, dialog keys, interrupts) or a person's attached terminal. */
export type InputOrigin = 'mission' | 'attach';

/** How the program ended: its exit code, or the signal that killed it (then no code: SIGKILL is not a 0); `signal` is its name ("SIGKILL"). */
export type PtyExit = TerminalExit;

/** Pause the PTY while xterm has more than this many characters to parse; resume below the low mark. */
const BACKLOG_HIGH = 4 * 1024 * 1024;
const BACKLOG_LOW = 512 * 1024;
const KILL_GRACE_MS = 1_000;

/**
 * A program in a pseudo-terminal, rendered by a headless xterm: raw output is handed to listeners as it
 * arrives (an attached terminal starts from the rendered screen, `serialize`); `onRender` fires each time the
 * rendered screen may have changed.
 */
export class PtySession {
  readonly exited: Promise<PtyExit>;
  private readonly process: PtyProcess;
  private readonly terminal: HeadlessTerminal;
  private readonly outputListeners = new Set<(data: string) => void>();
  private readonly renderListeners = new Set<() => void>();
  private readonly inputListeners = new Set<(data: string, origin: InputOrigin) => void>();
  private exit: PtyExit | null = null;
  private paused = false;

  constructor(options: PtySpawnOptions) {
    const cols = options.cols ?? 120;
    const rows = options.rows ?? 40;
    const { bin, args, cwd, env } = options;
    this.process = new PtyProcess(options.spawner, { bin, args, cwd, env }, cols, rows);
    this.terminal = new HeadlessTerminal({ cols, rows, onReply: (reply) => this.exit ?? this.process.write(reply) });
    this.exited = this.process.exited.then((exit) => (this.exit = exit));
    this.process.onData((data) => this.receive(data));
  }

  /** Known a moment after the start (the spawner reports it), undefined before and for a program that could not start. */
  get pid(): number | undefined {
    return this.process.pid;
  }

  /** Resolves with the pid once the program has started (undefined if it could not). */
  get started(): Promise<number | undefined> {
    return this.process.leader.started;
  }

  get title(): string {
    return this.terminal.title;
  }

  screen(): Screen {
    return this.terminal.screen();
  }

  /** The visible rows without a copy ({@link HeadlessTerminal.rows}). */
  rows(): readonly string[] {
    return this.terminal.rows();
  }

  /** Rows of the screen whose text changed since the last call (one reader: the session following the screen). */
  takeChangedRows(): number[] {
    return this.terminal.takeChangedRows();
  }

  /** Every row written since the last read of the screen is one of `rows` (none written counts). */
  writtenOnlyIn(rows: RowSet): boolean {
    return this.terminal.writtenOnlyIn(rows);
  }

  /** The program is drawing a frame ({@link HeadlessTerminal.drawing}); never once it has exited (its last frame is what it left). */
  get drawing(): boolean {
    return this.exit === null && this.terminal.drawing;
  }

  serialize(): string {
    return this.terminal.serialize();
  }

  /** Raw output as it arrives (what an attached terminal shows). Returns the unsubscribe. */
  onOutput(listener: (data: string) => void): () => void {
    this.outputListeners.add(listener);
    return () => this.outputListeners.delete(listener);
  }

  /** Called after xterm rendered new output. Returns the unsubscribe. */
  onRender(listener: () => void): () => void {
    this.renderListeners.add(listener);
    return () => this.renderListeners.delete(listener);
  }

  /** Keystrokes/text to the program, typed by Mission or by an attached terminal. Ignored once it has exited. */
  write(data: string, origin: InputOrigin = 'mission'): void {
    if (this.exit) return;
    for (const listener of this.inputListeners) listener(data, origin);
    this.process.write(data);
  }

  /** Told of every write, before it reaches the program. Returns the unsubscribe. */
  onInput(listener: (data: string, origin: InputOrigin) => void): () => void {
    this.inputListeners.add(listener);
    return () => this.inputListeners.delete(listener);
  }

  resize(cols: number, rows: number): void {
    if (this.exit) return;
    this.process.resize(cols, rows);
    this.terminal.resize(cols, rows);
  }

  /** Ends the program and everything it started (SIGTERM, then SIGKILL after a second). */
  async kill(): Promise<PtyExit> {
    // A kill asked for before the pid arrived waits for it (the group is named by it).
    await this.started;
    killProcessGroup(this.process.leader, KILL_GRACE_MS);
    return this.exited;
  }

  dispose(): void {
    this.outputListeners.clear();
    this.renderListeners.clear();
    this.inputListeners.clear();
    this.terminal.dispose();
  }

  private receive(data: string): void {
    for (const listener of this.outputListeners) listener(data);
    this.terminal.write(data, () => {
      if (this.paused && this.terminal.pendingChars < BACKLOG_LOW) {
        this.paused = false;
        this.process.resume();
      }
      for (const listener of this.renderListeners) listener();
    });
    if (!this.paused && this.terminal.pendingChars > BACKLOG_HIGH) {
      this.paused = true;
      this.process.pause();
    }
  }
}
