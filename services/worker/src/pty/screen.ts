/**
 * The contract between the terminal and the screen parser: what is on the screen, as text.
 * Produced by `HeadlessTerminal.screen` from an @xterm/headless Terminal; consumed by the pure parser.
 */
export interface Screen {
  /** The visible rows, top to bottom, trimmed at their end (the parser trims rows given otherwise). */
  lines: string[];
  cursor: { row: number; col: number };
  /** The last title set with OSC 0/2 ("" if none). */
  title: string;
}

/** What the parser reads of a screen: its rows and its title. */
export interface ScreenText {
  readonly lines: readonly string[];
  readonly title: string;
  /** Every row is trimmed at its end already (a terminal's are): the parser does not look for blanks to trim. */
  readonly trimmed?: boolean;
}

/** The states the parser can read off a screen; `exited` and `lost` come from the process, not the screen. */
export type ScreenState = 'starting' | 'idle' | 'working' | 'waiting_permission';

/** What an option of a permission dialog means, whatever its wording in this CLI version. */
export type OptionMeaning = 'yes' | 'yes_always' | 'no' | 'other';

export interface PermissionDialog {
  /** The tool asking, as the CLI names it ("Bash", "Write", "Edit", …). */
  tool: string;
  /** What it wants to run or touch: the command, the file path. */
  target: string;
  /** The question line ("Do you want to proceed?"). */
  question: string;
  options: { key: string; label: string; meaning: OptionMeaning }[];
  /** Key of the option the cursor (❯) is on. */
  selected: string | null;
}

export interface ToolCall {
  tool: string;
  /** The text inside the parentheses of `● Tool(args)`. */
  args: string;
  /** The `⎿` output lines, as shown (the CLI may abbreviate them). */
  output: string[];
}

export interface StatusLine {
  /** The spinner text ("Sautéing…"). */
  text: string;
  elapsedSeconds?: number;
  tokens?: number;
  /** The line says "esc to interrupt". */
  interruptible: boolean;
}

/** One block of the transcript: a prompt (`❯ …`), a piece of Claude's answer (`● …`), or a tool call with its output. */
/** A prompt's `output`: what the CLI printed under it (`⎿`), as a slash command it ran itself does (`/compact`'s "Compacted"). */
export type TranscriptBlock =
  | { kind: 'prompt'; text: string; output: string[] }
  | { kind: 'text'; text: string }
  | ({ kind: 'tool' } & ToolCall);

/** Everything the parser reads off one screen. */
export interface SessionSnapshot {
  state: ScreenState;
  dialog: PermissionDialog | null;
  /** The transcript's blocks visible on the screen, top to bottom. */
  blocks: TranscriptBlock[];
  /** The tool-call blocks among them. */
  toolCalls: ToolCall[];
  /** The text of the last assistant text block visible, as wrapped on the screen, or null. */
  lastResponse: string | null;
  status: StatusLine | null;
  title: string;
}
