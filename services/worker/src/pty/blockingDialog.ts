import {
  BadRequestError,
  type BlockingDialogKind,
  type DialogReply,
  IN_WORDS_HINT,
  offeredOptions,
  PICK_ANY_HINT,
} from '@mission/contracts';
import { firstVisible, trimEnd, trimmedRows } from './blank.ts';
import type { SessionSnapshot } from './screen.ts';
import { CURSOR_SIGN, mayBeOption, parseScreen, QUESTION_TABS } from './screenParser.ts';

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
  /** Claude's question as the CLI draws it (kind `question`, read off the screen): what its keys do. */
  form?: QuestionFormScreen;
}

/** One screen of Claude's question form as the CLI draws it: a question, or the review of the answers. */
export interface QuestionFormScreen {
  /** A question that takes several options: each key flips its box, → goes on to the next question. */
  pickAny: boolean;
  /** The options whose box is ticked (a pick-any question). */
  checked: string[];
  /** The key of its "Type something" entry, where an answer in words is typed; null on the review and on a pick-any question. */
  words: string | null;
  /** What that entry shows: "Type something", or the words typed into it. */
  typed: string;
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
  const tabs = lines.findIndex((line) => QUESTION_TABS.test(line));
  if (tabs >= 0) return questionForm(lines, tabs);
  const mcpForm = lines.findIndex((line) => MCP_INPUT_FORM.test(line));
  if (mcpForm >= 0) return mcpInputForm(lines, mcpForm);
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
 * The title of the CLI's own dialog for an MCP server's request for input (elicitation), drawn when no hook answered
 * it, in Claude Code 2.1.332's words: a form ("MCP server “probe” requests your input"), a page to open ("MCP server
 * “probe” wants to open a URL"), and the page's wait once accepted ("MCP server “probe” — waiting for completion").
 */
const MCP_INPUT_FORM = /^\s*MCP server “.+”(?: requests your input| wants to open a URL| — waiting for completion)$/;

/** The CLI's own dialog for an MCP server's request (its title at `title`): nothing Mission presses; its text down to the key hint. */
function mcpInputForm(lines: readonly string[], title: number): BlockingDialog {
  const hint = lines.findLastIndex((line) => line !== '');
  const text = lines
    .slice(title, hint > title ? hint : undefined)
    .map((line) => line.trim())
    .filter(Boolean)
    .join('\n');
  return { kind: 'mcp_input', text, options: [], numbered: false, selected: null };
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

const FORM_OPTION = /^\s*(❯\s*)?(\d+)\.\s+(?:\[([ ✔])\]\s+)?(\S.*)$/;
const REVIEW = /^Review your answers/;

/**
 * Claude's question (its AskUserQuestion tool) as the CLI draws it under its tab bar (`tabs`, the row of
 * {@link QUESTION_TABS}), down to the rule under the options: one question at a time, its options numbered (with a box
 * each when it takes several) and a last entry, "Type something", where an answer in words is typed; after the last
 * question, the review of the answers ("Submit answers", "Cancel"). Read as a `question` dialog in the words the hooks
 * driver gives Claude's question in (QuestionForm in @mission/contracts).
 */
function questionForm(lines: readonly string[], tabs: number): BlockingDialog {
  const end = lines.findIndex((line, row) => row > tabs && RULE.test(line));
  const asked: string[] = [];
  const options: BlockingDialogOption[] = [];
  /** The rows under each option, by its key: its description, or the rest of the words typed into the last entry. */
  const under = new Map<string, string[]>();
  const checked: string[] = [];
  let selected: string | null = null;
  let pickAny = false;
  /** The option on the row above, and the column its label starts at: a row indented as far is under it. */
  let above: { key: string; column: number } | null = null;
  for (const line of lines.slice(tabs + 1, end < 0 ? lines.length : end)) {
    const option = FORM_OPTION.exec(line);
    if (option) {
      const [, cursor, key = '', box, label = ''] = option;
      options.push({ key, label: label.trim() });
      above = { key, column: line.length - label.length };
      if (cursor) selected = key;
      if (box !== undefined) pickAny = true;
      if (box === '✔') checked.push(key);
    } else if (above && line.length - line.trimStart().length >= above.column && line.trim() !== '')
      under.set(above.key, [...(under.get(above.key) ?? []), line.trim()]);
    else {
      above = null;
      if (options.length === 0 && line.trim() !== '') asked.push(line.trim());
    }
  }
  const review = REVIEW.test(asked[0] ?? '');
  // The last entry of a question is where words are typed (it shows them once typed): not an option to pick. On a
  // pick-any question its key ticks a box and leaves the cursor where it was: words are typed there from a terminal.
  const entry = review ? undefined : options.pop();
  const words = pickAny ? undefined : entry;
  const descriptions = options.flatMap((option) => (under.get(option.key) ?? []).map((line) => `${option.label}: ${line}`));
  const hint = review ? [] : [pickAny ? `${PICK_ANY_HINT}.` : IN_WORDS_HINT];
  return {
    kind: 'question',
    text: [...asked, ...descriptions, ...hint].join('\n'),
    options,
    numbered: true,
    selected,
    form: {
      pickAny,
      checked: checked.filter((key) => key !== entry?.key),
      words: words?.key ?? null,
      typed: words ? [words.label, ...(under.get(words.key) ?? [])].join(' ') : '',
    },
  };
}

/** One step of an answer: keys written once, then what the screen must show before the next step (or the answer stands). */
export interface AnswerStep {
  keys: string;
  /** What the step waits for, in words (for a timeout's message). */
  what: string;
  done: (shown: BlockingDialog | null) => boolean;
}

/**
 * The steps that give `reply` to `dialog`: the option's keys (the answer stands once the screen shows another
 * dialog or none), or, for Claude's question drawn by the CLI, what a person at its terminal presses — a pick-any
 * question's boxes flipped one key at a time, each seen ticked, then → to go on; an answer in words typed into its
 * "Type something" entry once the cursor is seen there, then Enter once the words are seen. Refuses, in the person's
 * terms, an option the dialog does not offer or words where it takes none. Pure.
 */
export function answerSteps(dialog: BlockingDialog, reply: DialogReply): AnswerStep[] {
  const closed: AnswerStep['done'] = (shown) => !sameBlockingDialog(shown, dialog);
  const form = dialog.form;
  if ('text' in reply) {
    if (!form?.words)
      throw new BadRequestError(
        `the ${dialog.kind} dialog is answered with one of its options, not in words; it offers ${offeredOptions(dialog.options)}`,
      );
    const words = reply.text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
    if (words === '') throw new BadRequestError('an answer in words needs some words');
    const entry = form.words;
    const typed = (shown: BlockingDialog | null) => shown?.selected === entry && sameBlockingDialog(shown, dialog);
    return [
      { keys: entry, what: "the cursor on the question's Type something entry", done: typed },
      {
        keys: words,
        what: 'the words in the Type something entry',
        done: (shown) => typed(shown) && squeezed(shown?.form?.typed ?? '') === squeezed(words),
      },
      { keys: '\r', what: `the ${dialog.kind} dialog to close`, done: closed },
    ];
  }
  const picks = [...new Set(reply.option.split(','))];
  const unknown = picks.find((key) => !dialog.options.some((option) => option.key === key));
  if (unknown !== undefined)
    throw new BadRequestError(`the ${dialog.kind} dialog has no option '${unknown}'; it offers ${offeredOptions(dialog.options)}`);
  if (!form?.pickAny) {
    if (picks.length > 1) throw new BadRequestError(`the ${dialog.kind} dialog takes one option, not ${picks.length} (${reply.option})`);
    // Its digit, or the arrow keys to it and Enter.
    return [{ keys: answerKeystrokes(dialog, reply.option), what: `the ${dialog.kind} dialog to close`, done: closed }];
  }
  const flips = dialog.options.filter((option) => picks.includes(option.key) !== form.checked.includes(option.key));
  return [
    ...flips.map(({ key }): AnswerStep => {
      const ticked = !form.checked.includes(key);
      return {
        keys: key,
        what: `option ${key}'s box ${ticked ? 'ticked' : 'cleared'}`,
        done: (shown) => sameBlockingDialog(shown, dialog) && shown?.form?.checked.includes(key) === ticked,
      };
    }),
    { keys: '\x1b[C', what: 'the next question', done: closed },
  ];
}

const squeezed = (text: string): string => text.replace(/\s+/g, '');

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
