/**
 * Text typed into Claude Code's prompt that starts with `!` switches it to bash mode: on Enter the
 * rest runs as a shell command, with no permission check of the CLI's own. What Claude Code 2.1.331
 * does (read from its bundled code and tried in a PTY):
 *
 * - the prompt switches when text inserted at the start of an empty input begins with `!`: a typed
 *   `!`, or a paste (bracketed or not) whose first character is `!`; a leading space, tab or newline
 *   keeps it a prompt for Claude;
 * - everything after the `!` runs, newlines included, and a CR inside a paste is a newline too
 *   (`!touch a\rtouch b` runs both); leading spaces after the `!` do not matter; `!!x` runs `!x`.
 *
 * Mission types text as one bracketed paste and then presses Enter. Where bracketed paste is off, a
 * CR in the text submits what came before it, so a `!` right after a CR starts bash mode as well:
 * that is taken in too. Escape and other control characters can end a paste or edit the input in
 * ways this does not model, so text holding them is returned whole, to be checked as a command
 * (the shell analysis then cannot allow it).
 *
 * Returns the command that would run, or null when the text does not start bash mode (or starts it
 * with nothing to run).
 */
export function bashModeCommand(text: string): string | null {
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) return text;
  const start = text.startsWith('!') ? 0 : text.indexOf('\r!') + 1;
  if (start === 0 && !text.startsWith('!')) return null;
  const command = text.slice(start + 1).replace(/\r\n?/g, '\n');
  return command.trim() === '' ? null : command;
}

const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/**
 * Whether typing and submitting the text may leave the CLI in bash mode, even with nothing to run
 * (a lone `!` switches the prompt, and what is typed next runs): the text is then checked as a Bash
 * command, {@link bashModeCommand} or an empty one.
 */
export function mayStartBashMode(text: string): boolean {
  return text.startsWith('!') || text.includes('\r!') || CONTROL.test(text);
}

/**
 * Keystrokes of an attached terminal, followed one by one: whether a `!` may land at the start of an
 * empty input (bash mode), knowing only what was typed. The line counts as holding text only after a
 * printable character typed while Claude's prompt takes input (`textCounts`); any control key or escape
 * sequence (Enter, Backspace, arrows, a paste's start) may have emptied it or moved the cursor to its
 * start, and so may anything Mission itself typed (the caller starts again from `false` then).
 */
export function followKeystrokes(lineHasText: boolean, data: string, textCounts: boolean): { bang: boolean; lineHasText: boolean } {
  let hasText = lineHasText;
  let bang = false;
  for (let i = 0; i < data.length; i++) {
    const char = data[i]!;
    if (char === '\x1b') {
      hasText = false;
      const end = escapeEnd(data, i);
      // A `!` anywhere in a sequence (Alt+!, a malformed one the CLI may read as text) counts as typed.
      if (data.slice(i + 1, end + 1).includes('!')) bang = true;
      i = end;
    } else if (CONTROL.test(char) || char === '\r' || char === '\n' || char === '\t') {
      hasText = false;
    } else if (char === '!' && !hasText) {
      bang = true;
    } else {
      hasText = textCounts;
    }
  }
  return { bang, lineHasText: hasText };
}

/** The index of the last character of the escape sequence starting at `start` (CSI, SS3 or ESC + one). */
function escapeEnd(data: string, start: number): number {
  const next = data[start + 1];
  if (next === '[') {
    let i = start + 2;
    while (i < data.length && !/[\u0040-\u007e]/.test(data[i]!)) i++;
    return i;
  }
  if (next === 'O') return Math.min(start + 2, data.length - 1);
  return Math.min(start + 1, data.length - 1);
}
