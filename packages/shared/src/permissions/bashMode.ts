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
