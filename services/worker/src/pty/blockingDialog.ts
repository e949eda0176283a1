import type { BlockingDialogKind } from '@mission/contracts';
import { parseScreen } from './screenParser.ts';

/*
 * The screens on which Claude Code waits for something other than a tool permission (their kinds:
 * `blockingDialogKinds` in @mission/contracts): questions it asks before it will start (folder trust, the API key,
 * the auto-mode offer, a project's MCP servers), states in which it cannot answer (not logged in, a usage limit),
 * and screens of its own that a slash command opens in place of its input box (`/help`, `/cost`: closed with Esc).
 * Tool permission dialogs are not among them: screenParser.ts reads those.
 */

export interface BlockingDialogOption {
  /** The digit shown before a numbered option; the position (from 1) in a list without numbers. */
  key: string;
  label: string;
}

export interface BlockingDialog {
  kind: BlockingDialogKind;
  /** What the screen says, one line per row, without the options. */
  text: string;
  /** The answers offered (none when only something outside the CLI can help: a key, a login, time). */
  options: BlockingDialogOption[];
  /** Whether the options are numbered (a digit picks one) or a list the cursor moves through. */
  numbered: boolean;
  /** Key of the option the cursor (❯) is on. */
  selected: string | null;
}

/** Rules that open a dialog: a full line of `─` (most) or `▔` (the usage-limit menu). */
const RULE = /^\s*(─{20,}|▔{20,})$/;
const NUMBERED = /^(\s*)(❯\s*)?(\d+)\.\s+(\S.*)$/;
const CURSOR = /^( +)❯ (\S.*)$/;
/** What each kind says, in Claude Code 2.1's words. */
const SIGNATURES: [BlockingDialogKind, RegExp][] = [
  ['trust_folder', /Is this a project you created or one you trust\?|Do you trust the files in this folder\?/],
  ['api_key', /Do you want to use this API key\?/],
  ['auto_mode_offer', /Make auto mode your default permission mode\?/],
  ['mcp_server_approval', /New MCP servers? found in/],
];
/** The usage limit: the error left in the transcript above the menu, and the notice under the prompt while the CLI waits. */
const LIMIT_HIT = /You've hit your .*limit/;
const LIMIT_WAIT = /^\s*⚠ Usage limit reached/;
/** What the lines those two match start with, after their blanks: ⚠; ⎿ or N (of Not logged in). */
const WARNING_SIGN = 0x26a0;
const NOT_LOGGED_IN_STARTS = new Set([0x23bf, 0x4e]);
/** `  ⎿  Not logged in · Please run /login` under the prompt sent, or the hint right of the input box. */
const NOT_LOGGED_IN = /^\s*⎿\s+(Not logged in\b.*)$|^ {20,}(Not logged in\b.*)$/;
/** The last line of a screen a slash command opened (`←/→ to switch · Esc to close`). */
const CLOSE_HINT = /\bEsc to (?:close|cancel|exit|go back)\b/;

/** Reads a blocking dialog off a Claude Code screen (its rows joined by newlines), or null when there is none. Pure. */
export function parseBlockingDialog(screenText: string): BlockingDialog | null {
  return blockingDialogOn(screenText.split('\n'));
}

/**
 * {@link parseBlockingDialog} of a screen's rows (as the terminal reads them). With the input box showing
 * (most screens, read at every change of the screen) only the notices under the prompt can block: the rows
 * are not all trimmed and searched for a dialog then.
 */
export function blockingDialogOn(rows: readonly string[]): BlockingDialog | null {
  // A dialog takes the input box's place: with the box showing, numbered lines are Claude's text.
  if (hasInputBox(rows)) return noticeUnderPrompt(rows);
  const lines = rows.map((line) => line.trimEnd());
  const list = findOptions(lines);
  if (list) {
    const top = findTop(lines, list.first);
    const body = lines
      .slice(top + 1, list.first)
      .map((line) => line.trim())
      .filter(Boolean);
    const text = body.join('\n');
    const known = SIGNATURES.find(([, pattern]) => pattern.test(text));
    const dialog = { options: list.options, numbered: list.numbered, selected: list.selected };
    if (known) return { kind: known[0], text, ...dialog };
    const limit = lines.slice(0, top + 1).findLast((line) => LIMIT_HIT.test(line));
    if (limit) return { kind: 'usage_limit', text: [limit.replace(/^\s*⎿\s+/, ''), ...body].join('\n'), ...dialog };
    if (top < 0 || isPermissionDialog(lines)) return null;
    return { kind: 'unknown', text, ...dialog };
  }
  return commandScreen(lines) ?? noticeUnderPrompt(lines);
}

/**
 * A screen of the CLI's own that offers nothing to pick, only Esc to close it (what `/help` or `/cost` opens): its
 * text from the rule that opens it down to that hint. Null when the screen's last line is no such hint.
 */
function commandScreen(lines: string[]): BlockingDialog | null {
  const hint = lines.findLastIndex((line) => line !== '');
  if (hint < 0 || !CLOSE_HINT.test(lines[hint] ?? '')) return null;
  const text = lines
    .slice(findTop(lines, hint) + 1, hint)
    .map((line) => line.trim())
    .filter(Boolean)
    .join('\n');
  return { kind: 'command_screen', text, options: [], numbered: false, selected: null };
}

/**
 * The usage limit's notice while the CLI waits, or its "Not logged in" (under the prompt sent, or right of the
 * input box). Only the rows that start (after blanks) as they do are matched.
 */
function noticeUnderPrompt(lines: readonly string[]): BlockingDialog | null {
  let waiting = -1;
  let login: RegExpExecArray | null = null;
  for (let row = 0; row < lines.length; row++) {
    // Rows are matched as read (a trimmed copy of each, at every read, was most of this function's cost): the
    // patterns match at a row's start, and the few rows that start as a notice does are trimmed for it.
    const line = lines[row] ?? '';
    const first = firstVisible(line);
    if (first === WARNING_SIGN && LIMIT_WAIT.test(line)) {
      waiting = row;
      break;
    }
    if (NOT_LOGGED_IN_STARTS.has(first)) login = NOT_LOGGED_IN.exec(line.trimEnd()) ?? login;
  }
  if (waiting >= 0) {
    const notice = [lines[waiting] ?? '', lines[waiting + 1] ?? ''].map((line) => line.trim().replace(/^⚠\s*/, '')).filter(Boolean);
    return { kind: 'usage_limit', text: notice.join('\n'), options: [], numbered: false, selected: null };
  }
  if (login) return { kind: 'login_required', text: (login[1] ?? login[2] ?? '').trim(), options: [], numbered: false, selected: null };
  return null;
}

/** The first character of `line` that is not a blank (`\s`), or NaN for a blank line (a loop: a search per row and read was most of this function's cost). */
function firstVisible(line: string): number {
  for (let i = 0; i < line.length; i++) {
    const code = line.charCodeAt(i);
    if (!isBlank(code)) return code;
  }
  return Number.NaN;
}

/** What `\s` matches: ASCII blanks, the no-break and Unicode spaces, the line and paragraph separators, the BOM. */
function isBlank(code: number): boolean {
  if (code === 0x20 || (code >= 0x09 && code <= 0x0d)) return true;
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/**
 * The keystrokes that choose `key` in `dialog`: its digit when the options are numbered, else the arrow
 * keys from the selected option to it, then Enter.
 */
export function answerKeystrokes(dialog: BlockingDialog, key: string): string {
  const target = dialog.options.findIndex((option) => option.key === key);
  if (target < 0)
    throw new Error(
      `the dialog has no option '${key}' (it offers ${dialog.options.map((o) => `${o.key}. ${o.label}`).join(', ') || 'none'})`,
    );
  if (dialog.numbered) return key;
  const from = Math.max(
    0,
    dialog.options.findIndex((option) => option.key === dialog.selected),
  );
  const moves = target - from;
  return (moves >= 0 ? '\x1b[B' : '\x1b[A').repeat(Math.abs(moves)) + '\r';
}

interface OptionList {
  first: number;
  options: BlockingDialogOption[];
  numbered: boolean;
  selected: string | null;
}

/** Numbered options (`❯ 1. Yes`, `  2. No`), or a list whose selected entry carries the cursor (`❯ No, exit`). */
function findOptions(lines: string[]): OptionList | null {
  const first = lines.findIndex((line) => NUMBERED.test(line));
  if (first >= 0) return numberedOptions(lines, first);
  const cursorRow = lines.findIndex((line) => CURSOR.test(line));
  if (cursorRow < 0) return null;
  const indent = (CURSOR.exec(lines[cursorRow] ?? '')?.[1]?.length ?? 0) + 2;
  const isEntry = (line: string | undefined) =>
    line !== undefined && line.length > indent && line.slice(0, indent).trim() === '' && line[indent] !== ' ';
  let start = cursorRow;
  while (isEntry(lines[start - 1])) start--;
  let end = cursorRow + 1;
  while (isEntry(lines[end])) end++;
  const options = lines.slice(start, end).map((line, i) => ({ key: String(i + 1), label: line.replace(/^\s*❯?\s*/, '') }));
  return { first: start, options, numbered: false, selected: String(cursorRow - start + 1) };
}

function numberedOptions(lines: string[], first: number): OptionList {
  const options: BlockingDialogOption[] = [];
  let selected: string | null = null;
  for (const line of lines.slice(first)) {
    const match = NUMBERED.exec(line);
    if (match) {
      const [, , cursor, key = '', label = ''] = match;
      options.push({ key, label: label.trim() });
      if (cursor) selected = key;
      continue;
    }
    const last = options.at(-1);
    // A label too long for the terminal continues on the next, further indented line.
    if (!last || !/^\s{4,}\S/.test(line)) break;
    last.label += ` ${line.trim()}`;
  }
  return { first, options, numbered: true, selected };
}

/** The input box: a rule (trimmed at its end), then the `❯` prompt at the left edge. */
function hasInputBox(lines: readonly string[]): boolean {
  return lines.some((line, i) => line.startsWith('─') && BOX_RULE.test(line.trimEnd()) && (lines[i + 1] ?? '').startsWith('❯'));
}
const BOX_RULE = /^─{20,}$/;

/** The rule that opens the dialog above its options (or the top of the screen). */
function findTop(lines: string[], first: number): number {
  let top = first - 1;
  while (top >= 0 && !RULE.test(lines[top] ?? '')) top--;
  return top;
}

/** A tool permission dialog ("Do you want to proceed?", "Do you want to make this edit to …?"): screenParser.ts's. */
function isPermissionDialog(lines: string[]): boolean {
  // The frame alone: the transcript's blocks above the dialog do not tell what it is.
  const dialog = parseScreen({ lines, cursor: { row: 0, col: 0 }, title: '' }, 'frame').dialog;
  return dialog !== null && /^Do you want to /.test(dialog.question);
}
