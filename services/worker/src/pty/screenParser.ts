import { firstVisible, trimEnd, trimmedRows } from './blank.ts';
import type { OptionMeaning, PermissionDialog, ScreenText, SessionSnapshot, StatusLine, ToolCall, TranscriptBlock } from './screen.ts';

/**
 * Arguments the parser needs the CLI started with: `--verbose` shows every tool call as
 * `● Tool(args)` with its `⎿` output instead of folding them into "Ran 1 shell command".
 */
export const CLAUDE_SCREEN_ARGS = ['--verbose'] as const;

/**
 * Environment the screen's reader needs the CLI started with: each frame drawn between the marks of a synchronized
 * update (DEC mode 2026), so a frame that reaches the terminal in several writes is never read half drawn
 * (`HeadlessTerminal.drawing`). Without it, Claude Code 2.1.331 puts no marks around its frames.
 */
export const CLAUDE_SCREEN_ENV: Readonly<Record<string, string>> = { CLAUDE_CODE_FORCE_SYNC_OUTPUT: '1' };

/*
 * What Claude Code (2.1.x) draws, top to bottom:
 *
 *    ▐▛███▛█   Claude Code v2.1.331          header
 *   ❯ say hello                               the user's prompt (a long one wraps, indented two spaces)
 *   ● Hello.                                  a text block (continuation lines indented two spaces)
 *   ● Bash(ls)                                a tool call …
 *     ⎿  file.txt                             … and its output (more lines indented five spaces)
 *   ✻ Cooking… (3s · ↓ 12 tokens)             the spinner/status line
 *                                 ◐ medium    right-aligned hints
 *   ───────────────
 *   ❯                                         the input box (or, instead of it, a permission dialog:
 *   ───────────────                            a rule, a title, what it wants, a question, numbered options)
 *     ⏸ manual mode on · esc to interrupt     the footer
 */

const DASHED_RULE = /^╌{20,}$/;
const PROMPT = /^❯(\s|$)/;
const BLOCK = /^● (.*)$/;
const PROMPT_BLOCK = /^❯ (.+)$/;
/** `Bash(`, `Update(`, `mission - mission_ask (MCP)(`. */
const TOOL_HEADER = /^([A-Z][A-Za-z]*|\S+ - \S+ \(MCP\))\((.*)$/;
/** `  ⎿  output` (the CLI puts a no-break space after the bracket). */
const OUTPUT = /^ {2}⎿\s\s(.*)$/;
const OUTPUT_INDENT = '     ';
const TEXT_INDENT = '  ';
const STATUS = /^[·✢✳✶✻✽*◐◓◑◒] (\S.*)$/;
/** The status line, with no spinner, between a tool call's header and its permission dialog (2.1.331 and 2.1.332). */
const AWAITING_PERMISSION = '  Waiting for permission…';
const OPTION = /^\s*(❯\s*)?(\d+)\.\s+(.+)$/;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
/** The cursor `❯` before the selected option of a list (and the input box's prompt). */
export const CURSOR_SIGN = 0x276f;
/**
 * The tab bar over Claude's question as the CLI draws it (its AskUserQuestion tool): `←  ☐ Database  ☒ Caches  ✔ Submit
 * →`, a tab per question and one to submit; over one question alone, only its header, ` ☐ Database` (Claude Code
 * 2.1.332 draws no Submit tab then: the answer submits it). Options under it are answers to Claude, not a tool's
 * permission. A row read trimmed matches too.
 */
export const QUESTION_TABS = /^(?:←\s.*\s✔ Submit\s+→| ?☐ \S.*)$/;
/** `line` starts (after its blanks) with a digit or the cursor `❯`, as a numbered option does: a test before the pattern's. */
export function mayBeOption(line: string): boolean {
  const first = firstVisible(line);
  return (first >= DIGIT_0 && first <= DIGIT_9) || first === CURSOR_SIGN;
}
/** A tool header indented two spaces (a running tool's `●` in its off phase). */
const INDENTED_TOOL_HEADER = /^ {2}(?:[A-Z][A-Za-z]*|\S+ - \S+ \(MCP\))\(.*$/;

/*
 * The parser reads a whole screen each time more than the spinner changed: the tests below run on every line
 * without a regular expression (a rule is compared with the rule of its width, kept once made).
 */
const RIGHT_ALIGN_PAD = ' '.repeat(20);
const isRightAligned = (line: string): boolean => line.startsWith(RIGHT_ALIGN_PAD);
const BOX_RULE_CHAR = 0x2500;
const rules: string[] = [];
/** A rule of the input box or a dialog: 20 `─` or more, and nothing else. */
const isRule = (line: string): boolean =>
  line.charCodeAt(0) === BOX_RULE_CHAR && line.length >= 20 && line === (rules[line.length] ??= '─'.repeat(line.length));
const INTERRUPTIBLE = 'esc to interrupt';
/** What a tool's `⎿` line says before it has output. */
const PLACEHOLDERS = new Set(['Waiting…', 'Running…']);

/** Dialog titles of the built-in tools, and the tool they belong to. */
const DIALOG_TOOLS: Record<string, string> = {
  'Bash command': 'Bash',
  'Edit file': 'Edit',
  'Create file': 'Write',
  'Write file': 'Write',
  'Read file': 'Read',
  Fetch: 'WebFetch',
};

/**
 * What a parse reads: the whole screen, or its `frame` alone (state, permission dialog, status line, title: what the
 * hooks driver reads off the screen, whose transcript file gives the blocks), with no blocks, tool calls or response.
 */
export type ScreenReading = 'whole' | 'frame';

/** Reads a Claude Code screen. Pure: the same screen always gives the same snapshot. */
export function parseScreen(screen: ScreenText, reading: ScreenReading = 'whole'): SessionSnapshot {
  return parseScreenRows(screen, reading).snapshot;
}

/** A parsed screen, with where its status line is (for {@link respin}). */
export interface ParsedScreen {
  snapshot: SessionSnapshot;
  /** The row of the spinner/status line, or null when there is none. */
  statusRow: number | null;
  /** The input box's footer (it can say "esc to interrupt" instead of the status line). */
  footer: string;
  /** The rows of the input box's rules, or null when there is no box. */
  box: { top: number; bottom: number } | null;
  /** The header's rows at the top (its mascot animates): no block starts above them, and none is read. */
  inertRows: number[];
}

/** {@link parseScreen}, also telling which row holds the status line. */
export function parseScreenRows(screen: ScreenText, reading: ScreenReading = 'whole'): ParsedScreen {
  const lines = screen.trimmed ? screen.lines : trimmedRows(screen.lines);
  const box = findInputBox(lines);
  const dialog = box ? null : findDialog(lines);
  const transcriptEnd = box?.top ?? dialog?.top ?? lines.length;
  const footer = box?.footer ?? '';
  const lastRow = lastTextRow(lines, transcriptEnd);
  const status = lastRow < 0 ? null : parseStatus(at(lines, lastRow), footer);
  // The frame alone needs no more of the transcript than its last line (the status line, when it is one).
  const blocksEnd = status ? lastRow : transcriptEnd;
  const blocks = reading === 'whole' ? parseBlocks(lines.slice(0, blocksEnd).filter((line) => !isRightAligned(line))) : [];
  const working = box !== null && (box.footer.includes(INTERRUPTIBLE) || status?.interruptible === true);
  const state = dialog?.dialog ? 'waiting_permission' : box ? (working ? 'working' : 'idle') : 'starting';
  const textBlocks = blocks.filter((block) => block.kind === 'text');
  const snapshot: SessionSnapshot = {
    state,
    dialog: dialog?.dialog ?? null,
    blocks,
    toolCalls: blocks.filter((block) => block.kind === 'tool').map(({ tool, args, output }) => ({ tool, args, output })),
    lastResponse: textBlocks.at(-1)?.text ?? null,
    status,
    title: screen.title,
  };
  return {
    snapshot,
    statusRow: status ? lastRow : null,
    footer,
    box: box && { top: box.top, bottom: box.bottom },
    inertRows: inertRows(lines),
  };
}

/**
 * The header's rows (the CLI's logo, whose mascot animates, its version, model and folder): the
 * {@link isInertLine} lines among the blank and inert lines the screen starts with (trimmed at their end). Nothing above such a
 * row starts a block, a box or a dialog, so while it stays inert, what it shows is never read.
 */
function inertRows(lines: readonly string[]): number[] {
  const rows: number[] = [];
  for (let row = 0; row < lines.length; row++) {
    const line = at(lines, row);
    if (isInertLine(line)) rows.push(row);
    else if (line !== '') break;
  }
  return rows;
}

/**
 * A line the parser reads nothing from when no block starts above it: not blank (a blank line decides
 * whether the line two below is a blinking tool header), not right-aligned (those are dropped), and no
 * prompt, block start, tool header, option, rule or status line.
 */
export function isInertLine(line: string): boolean {
  // The header's few animation frames come back on every tick: each is judged once.
  const known = inertVerdicts.get(line);
  if (known !== undefined) return known;
  if (inertVerdicts.size >= INERT_VERDICTS_KEPT) inertVerdicts.clear();
  const verdict = judgeInert(line);
  inertVerdicts.set(line, verdict);
  return verdict;
}

/** Lines judged by {@link isInertLine}, forgotten all at once when this many are kept. */
const INERT_VERDICTS_KEPT = 256;
const inertVerdicts = new Map<string, boolean>();

function judgeInert(line: string): boolean {
  const text = trimEnd(line);
  if (text.trim() === '' || isRightAligned(text)) return false;
  if (PROMPT.test(text) || PROMPT_BLOCK.test(text) || BLOCK.test(text) || blinkingToolHeader(text) !== undefined || TOOL_HEADER.test(text))
    return false;
  return !OPTION.test(text) && !isRule(text) && !DASHED_RULE.test(text) && !isRule(text.trim()) && !STATUS.test(text);
}

/**
 * The snapshot of a screen that differs from the parsed one only in its status line, now `line` (a tick of
 * the spinner or of its clock): the same snapshot with the new status. Null when the line is no status line,
 * or when the state it gives changes (interruptible or not): then the whole screen must be parsed.
 * Equal to parsing the whole screen, without reading the transcript again.
 */
export function respin(parsed: ParsedScreen, line: string, title: string): SessionSnapshot | null {
  const text = trimEnd(line);
  if (isRightAligned(text)) return null;
  const status = parseStatus(text, parsed.footer);
  const before = parsed.snapshot.status;
  if (!status || !before || status.interruptible !== before.interruptible) return null;
  return { ...parsed.snapshot, status, title };
}

/**
 * The snapshot of a screen that differs from the parsed one only inside its input box (what is typed there)
 * or in the footer below it, now `lines`: the same transcript, with the state and status the new footer
 * gives. Null when the box would be found elsewhere (a rule appeared or its prompt line changed): then the
 * whole screen must be parsed. Equal to parsing the whole screen, without reading the transcript again.
 */
export function reframe(parsed: ParsedScreen, lines: readonly string[], changedRows: number[], title: string): ParsedScreen | null {
  const box = parsed.box;
  if (!box) return null;
  for (const row of changedRows) {
    // The rules stay where they were and no other row becomes one; the box still opens with its prompt.
    if (row <= box.top || row === box.bottom || isRule(trimmedAt(lines, row))) return null;
    if (row === box.top + 1 && !PROMPT.test(trimmedAt(lines, row))) return null;
  }
  const footer = lines
    .slice(box.bottom + 1)
    .map(trimEnd)
    .join('\n');
  const status = parsed.statusRow === null ? null : parseStatus(trimmedAt(lines, parsed.statusRow), footer);
  const working = footer.includes(INTERRUPTIBLE) || status?.interruptible === true;
  return { ...parsed, footer, snapshot: { ...parsed.snapshot, state: working ? 'working' : 'idle', status, title } };
}

/** The input box: a rule, the `❯` prompt line(s), a rule, then the footer. */
function findInputBox(lines: readonly string[]): { top: number; bottom: number; footer: string } | null {
  for (let bottom = lines.length - 1; bottom > 1; bottom--) {
    if (!isRule(at(lines, bottom))) continue;
    let top = bottom - 1;
    while (top > 0 && !isRule(at(lines, top))) top--;
    if (isRule(at(lines, top)) && PROMPT.test(at(lines, top + 1))) {
      return { top, bottom, footer: lines.slice(bottom + 1).join('\n') };
    }
    return null;
  }
  return null;
}

/**
 * A permission dialog: a rule, its title, what it wants (a subtitle and/or a dashed box), a question, numbered options.
 * Claude's question drawn by the CLI (its tab bar for a title) is no permission dialog (`dialog: null`), but the
 * transcript ends above it all the same.
 */
function findDialog(lines: readonly string[]): { top: number; dialog: PermissionDialog | null } | null {
  const firstOption = lines.findIndex((line) => mayBeOption(line) && OPTION.test(line));
  if (firstOption < 0) return null;
  let top = firstOption - 1;
  while (top >= 0 && !isRule(at(lines, top))) top--;
  if (top < 0) return null;
  const body = lines.slice(top + 1, firstOption).map((line) => line.trim());
  const question = body.findLast((line) => line.endsWith('?')) ?? '';
  const [title = '', ...rest] = body.filter((line) => line !== '');
  if (QUESTION_TABS.test(title)) return { top, dialog: null };
  const boxStart = rest.findIndex((line) => DASHED_RULE.test(line));
  const boxEnd = boxStart < 0 ? -1 : rest.findIndex((line, i) => i > boxStart && DASHED_RULE.test(line));
  const subtitle = rest.slice(0, boxStart < 0 ? rest.length : boxStart).filter((line) => line !== question);
  const boxed = boxStart < 0 || boxEnd < 0 ? [] : rest.slice(boxStart + 1, boxEnd);
  const tool = DIALOG_TOOLS[title] ?? title.split(' ')[0] ?? '';
  const target = tool === 'Bash' && boxed.length > 0 ? boxed.join('\n') : (subtitle[0] ?? boxed.join('\n'));
  const { options, selected } = parseOptions(lines.slice(firstOption));
  return { top, dialog: { tool, target, question, options, selected } };
}

function parseOptions(lines: readonly string[]): Pick<PermissionDialog, 'options' | 'selected'> {
  const options: PermissionDialog['options'] = [];
  let selected: string | null = null;
  for (const line of lines) {
    const match = OPTION.exec(line);
    if (match) {
      const [, cursor, key = '', label = ''] = match;
      options.push({ key, label: label.trim(), meaning: 'other' });
      if (cursor) selected = key;
    } else {
      const last = options.at(-1);
      // A label too long for the terminal continues on the next, further indented line.
      if (!last || !/^\s{4,}\S/.test(line)) break;
      last.label += ` ${line.trim()}`;
    }
  }
  for (const option of options) option.meaning = meaningOf(option.label);
  return { options, selected };
}

/** "Yes" → yes; "Yes, and don't ask again …" / "Yes, and always allow …" / "Yes, and switch to accept edits …" → yes_always; "No…" → no. */
export function meaningOf(label: string): OptionMeaning {
  if (/^yes$/i.test(label) || /^yes \(/i.test(label)) return 'yes';
  if (/^yes, /i.test(label)) return 'yes_always';
  if (/^no\b/i.test(label)) return 'no';
  return 'other';
}

/** The blocks: `❯ prompt`, `● text` (with its indented continuation) or `● Tool(args)` (with its `⎿` output). */
function parseBlocks(lines: readonly string[]): TranscriptBlock[] {
  const blocks: TranscriptBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = at(lines, i++);
    // A blank line starts nothing.
    if (line === '') continue;
    const prompt = PROMPT_BLOCK.exec(line);
    if (prompt) {
      // A long prompt wraps onto lines indented under its first; the CLI breaks it between words.
      const wrapped: string[] = [];
      for (; i < lines.length && isPromptContinuation(at(lines, i)); i++) wrapped.push(at(lines, i).trim());
      // What the CLI printed under it: a `⎿` line, and the lines indented under that.
      const output: string[] = [];
      if (i < lines.length && OUTPUT.test(at(lines, i))) {
        output.push(at(lines, i++));
        for (; i < lines.length && at(lines, i).startsWith(OUTPUT_INDENT); i++) output.push(at(lines, i));
      }
      blocks.push({ kind: 'prompt', text: [prompt[1] ?? '', ...wrapped].join(' '), output: parseOutput(output) });
      continue;
    }
    const head = BLOCK.exec(line)?.[1] ?? (at(lines, i - 2) === '' ? blinkingToolHeader(line) : undefined);
    if (head === undefined) continue;
    const body: string[] = [];
    for (; i < lines.length && isContinuation(lines, i); i++) body.push(at(lines, i));
    blocks.push(toBlock(head, body));
  }
  return blocks;
}

/** A wrapped line of a prompt: indented text that is neither output (`⎿ Interrupted …`) nor a blinking tool header. */
const isPromptContinuation = (line: string): boolean =>
  line.startsWith(TEXT_INDENT) && line.trim() !== '' && !OUTPUT.test(line) && blinkingToolHeader(line) === undefined;

/** A line belongs to the block above: indented, or blank with more of the block after it. */
function isContinuation(lines: readonly string[], i: number): boolean {
  const line = at(lines, i);
  if (line.startsWith(' ')) return true;
  if (line !== '') return false;
  let next = '';
  for (let j = i + 1; j < lines.length && next === ''; j++) next = at(lines, j);
  return next.startsWith(TEXT_INDENT) && !OUTPUT.test(next) && blinkingToolHeader(next) === undefined;
}

/** A running tool's `●` blinks: in its off phase the header reads `  Tool(args)`. */
function blinkingToolHeader(line: string): string | undefined {
  return INDENTED_TOOL_HEADER.test(line) ? line.slice(TEXT_INDENT.length) : undefined;
}

function toBlock(first: string, rest: string[]): TranscriptBlock {
  const outputAt = rest.findIndex((line) => OUTPUT.test(line));
  const head = [first, ...(outputAt < 0 ? rest : rest.slice(0, outputAt)).map((line) => line.slice(TEXT_INDENT.length))];
  const tool = TOOL_HEADER.exec(first)?.[1];
  if (tool) {
    const call = head.join('\n').slice(tool.length + 1);
    return {
      kind: 'tool',
      tool,
      args: call.endsWith(')') ? call.slice(0, -1) : call,
      output: outputAt < 0 ? [] : parseOutput(rest.slice(outputAt)),
    };
  }
  return { kind: 'text', text: trimBlankLines(head).join('\n') };
}

function parseOutput(lines: readonly string[]): ToolCall['output'] {
  const output = lines.map(
    (line) => OUTPUT.exec(line)?.[1] ?? (line.startsWith(OUTPUT_INDENT) ? line.slice(OUTPUT_INDENT.length) : line.trim()),
  );
  const trimmed = trimBlankLines(output);
  return trimmed.length === 1 && PLACEHOLDERS.has(at(trimmed, 0)) ? [] : trimmed;
}

function trimBlankLines(lines: readonly string[]): string[] {
  let end = lines.length;
  while (end > 0 && at(lines, end - 1).trim() === '') end--;
  return lines.slice(0, end);
}

/** The last row above `end` with text that is not right-aligned (lines trimmed at their end, as below), or -1. */
function lastTextRow(lines: readonly string[], end: number): number {
  for (let row = end - 1; row >= 0; row--) if (lines[row] !== '' && !isRightAligned(at(lines, row))) return row;
  return -1;
}

/**
 * The spinner/status line: the transcript's last line (trimmed at its end, not right-aligned) when it is one. While
 * a tool's permission dialog is about to open, it reads {@link AWAITING_PERMISSION}, indented like a text block's
 * continuation: it is the status line only while the footer says the turn can be interrupted.
 */
function parseStatus(last: string, footer: string): StatusLine | null {
  if (last === AWAITING_PERMISSION) return footer.includes(INTERRUPTIBLE) ? { text: last.trim(), interruptible: true } : null;
  const match = STATUS.exec(last);
  if (!match) return null;
  const line = match[1] ?? '';
  const [, activity = line, details = line] = /^(.*?) \((.*)\)$/.exec(line) ?? [];
  const elapsed = parseDuration(details);
  const tokens = /([\d.]+)(k?) tokens/.exec(details);
  return {
    text: activity,
    ...(elapsed === undefined ? {} : { elapsedSeconds: elapsed }),
    ...(tokens ? { tokens: Math.round(Number(tokens[1]) * (tokens[2] ? 1000 : 1)) } : {}),
    interruptible: line.includes(INTERRUPTIBLE) || footer.includes(INTERRUPTIBLE),
  };
}

/** "8s", "1m 5s", "2h 3m 4s" → seconds. */
function parseDuration(text: string): number | undefined {
  const match = /(?:(\d+)h\s*)?(?:(\d+)m\s*)?(\d+)s\b/.exec(text);
  if (!match) return undefined;
  const [, hours = '0', minutes = '0', seconds = '0'] = match;
  return Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds);
}

const at = (lines: readonly string[], i: number): string => lines[i] ?? '';
const trimmedAt = (lines: readonly string[], i: number): string => trimEnd(at(lines, i));
