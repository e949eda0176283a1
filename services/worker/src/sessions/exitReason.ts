import type { PtyExit } from '../pty/ptySession.ts';

/** How much of the last screen an exit reason quotes. */
const QUOTED_LINES = 6;
const QUOTED_CHARS = 1_000;

/**
 * Why claude exited, when it ended on its own with an error (a bad flag, `--resume` of a conversation
 * it cannot find, …): the code and the last lines it left on the screen. A clean exit, or one by a
 * signal (a kill), needs no reason.
 */
export function exitReason(exit: PtyExit, screenLines: readonly string[]): string | undefined {
  if (exit.exitCode === 0 || exit.signal) return undefined;
  const printed = screenLines
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(-QUOTED_LINES)
    .join('\n')
    .slice(-QUOTED_CHARS);
  return `claude exited with code ${exit.exitCode}${printed ? `; it printed:\n${printed}` : ''}`;
}
