import type { BlockingDialogKind } from '@mission/contracts';
import { firstVisible, trimEnd, trimmedRows } from './blank.ts';
import type { SessionSnapshot } from './screen.ts';
import { CURSOR_SIGN, mayBeOption, parseScreen } from './screenParser.ts';

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
/** A hint that offers to pick what the cursor is on (`Enter to confirm`, `Enter to select`): a dialog to answer. */
const ENTER_HINT = /\bEnter to\b/;

/** The same dialog (kind and text): what tells a dialog still showing from one that replaced it. */
export function sameBlockingDialog(a: BlockingDialog | null, b: BlockingDialog | null): boolean {
  return a !== null && b !== null && a.kind === b.kind && a.text === b.text;
}

/** The `reason` of a session's `blocked` state: the dialog's kind and what it says. */
export function blockedReason(dialog: BlockingDialog): string {
  return `${dialog.kind}: ${dialog.text}`;
}

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
  return dialogBesideBox(rows, inputBoxRow(rows));
}

/**
 * Follows the blocking dialog of one screen read after read, looking at what changed since the read before:
 * while the input box shows and nothing blocks, the rows that did not change hold no notice (they were looked at
 * then), so the screen is looked at again only when a changed row starts as a notice does, or the box is gone.
 * Each answer equals {@link blockingDialogOn} of the screen read.
 */
export class BlockingDialogFollower {
  private dialog: BlockingDialog | null = null;
  /** The screen of the last look showed the input box. */
  private boxShown = false;

  /**
   * The blocking dialog `lines` show, `changedRows` the rows whose text changed since the last call, `frame` what
   * the screen parser read of their frame (`parseScreen(…, 'frame')`: a box it finds is one this module finds).
   */
  read(lines: readonly string[], changedRows: readonly number[], frame: SessionSnapshot): BlockingDialog | null {
    if (changedRows.length === 0) return this.dialog;
    // The parser's states of a screen with its input box.
    const boxShown = frame.state === 'idle' || frame.state === 'working';
    if (this.boxShown && boxShown && this.dialog === null && !changedRows.some((row) => mayStartNotice(lines[row] ?? ''))) return null;
    const boxRow = inputBoxRow(lines);
    this.boxShown = boxRow >= 0;
    this.dialog = dialogBesideBox(lines, boxRow, frame);
    return this.dialog;
  }
}

/** The blocking dialog of `rows`, whose input box opens at `boxRow` (-1: none); `frame`, the parser's read of them if made. */
function dialogBesideBox(rows: readonly string[], boxRow: number, frame?: SessionSnapshot): BlockingDialog | null {
  // A dialog takes the input box's place: with the box showing, numbered lines are Claude's text.
  if (boxRow >= 0) return noticeUnderPrompt(rows);
  const lines = trimmedRows(rows);
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
    if (top < 0 || isPermissionDialog(frame ?? parseScreen({ lines, title: '' }, 'frame'))) return null;
    // A screen of the CLI's own whose list is only browsed (its hint offers no Enter: /help's Commands tab) is closed, not answered.
    const browsed = commandScreen(lines);
    if (browsed && !ENTER_HINT.test(lines.findLast((line) => line !== '') ?? '')) return browsed;
    return { kind: 'unknown', text, ...dialog };
  }
  return commandScreen(lines) ?? noticeUnderPrompt(lines);
}

/**
 * A screen of the CLI's own that offers nothing to pick, only Esc to close it (what `/help` or `/cost` opens): its
 * text from the rule that opens it down to that hint. Null when the screen's last line is no such hint.
 */
function commandScreen(lines: readonly string[]): BlockingDialog | null {
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
    if (!mayStartNotice(line)) continue;
    if (LIMIT_WAIT.test(line)) {
      waiting = row;
      break;
    }
    login = NOT_LOGGED_IN.exec(trimEnd(line)) ?? login;
  }
  if (waiting >= 0) {
    const notice = [lines[waiting] ?? '', lines[waiting + 1] ?? ''].map((line) => line.trim().replace(/^⚠\s*/, '')).filter(Boolean);
    return { kind: 'usage_limit', text: notice.join('\n'), options: [], numbered: false, selected: null };
  }
  if (login) return { kind: 'login_required', text: (login[1] ?? login[2] ?? '').trim(), options: [], numbered: false, selected: null };
  return null;
}

/** `line` starts (after its blanks) as a notice under the prompt does: ⚠, ⎿ or N (of Not logged in). */
function mayStartNotice(line: string): boolean {
  const first = firstVisible(line);
  return first === WARNING_SIGN || NOT_LOGGED_IN_STARTS.has(first);
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
function findOptions(lines: readonly string[]): OptionList | null {
  const first = lines.findIndex((line) => mayBeOption(line) && NUMBERED.test(line));
  if (first >= 0) return numberedOptions(lines, first);
  const cursorRow = lines.findIndex((line) => firstVisible(line) === CURSOR_SIGN && CURSOR.test(line));
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

function numberedOptions(lines: readonly string[], first: number): OptionList {
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

/** The row of the input box's opening rule (trimmed at its end), followed by the `❯` prompt at the left edge; -1 if none. */
function inputBoxRow(lines: readonly string[]): number {
  return lines.findIndex((line, i) => line.startsWith('─') && BOX_RULE.test(trimEnd(line)) && (lines[i + 1] ?? '').startsWith('❯'));
}
const BOX_RULE = /^─{20,}$/;

/** The rule that opens the dialog above its options (or the top of the screen). */
function findTop(lines: readonly string[], first: number): number {
  let top = first - 1;
  while (top >= 0 && !RULE.test(lines[top] ?? '')) top--;
  return top;
}

/**
 * A tool permission dialog ("Do you want to proceed?", "Do you want to make this edit to …?"), as screenParser.ts
 * reads it off the screen's frame (the transcript's blocks above the dialog do not tell what it is).
 */
function isPermissionDialog(frame: SessionSnapshot): boolean {
  return frame.dialog !== null && /^Do you want to /.test(frame.dialog.question);
}
