import { describeClaudeFailure } from '@mission/contracts';
import type { PtyExit } from '../pty/ptySession.ts';

/** How much of the last screen an exit reason quotes. */
const QUOTED_LINES = 6;
const QUOTED_CHARS = 1_000;

/** The `exited` state a session is told when claude has exited: a signal's exit (not on request) can be resumed. */
export function exitedState(exit: PtyExit, killed: boolean, errorReason: string | undefined) {
  return {
    state: 'exited' as const,
    exitCode: exit.exitCode,
    ...(exit.signal ? { signal: exit.signal } : {}),
    ...(exit.signal && !killed ? { resumable: true } : {}),
    ...(errorReason ? { reason: errorReason } : {}),
  };
}

/** What a session's `exitReason` says once claude has exited: on request, its error (see exitReason), or how it ended. */
export function sessionEndReason(exit: PtyExit, killed: boolean, errorReason: string | undefined): string {
  if (killed) return 'killed on request';
  if (errorReason) return errorReason;
  return exit.signal ? `claude was ended by signal ${exit.signal}` : `claude exited (code ${exit.exitCode})`;
}

/**
 * Why claude exited, when it ended on its own with an error (a bad flag, `--resume` of a conversation
 * it cannot find, …): the code and the last lines it left on the screen. A clean exit, or one by a
 * signal (a kill), needs no reason. A known failure (no credentials, …) is told in Mission's words.
 */
export function exitReason(exit: PtyExit, screenLines: readonly string[]): string | undefined {
  if (exit.exitCode === 0 || exit.signal) return undefined;
  const printed = screenLines
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(-QUOTED_LINES)
    .join('\n')
    .slice(-QUOTED_CHARS);
  return describeClaudeFailure(`claude exited with code ${exit.exitCode}${printed ? `; it printed:\n${printed}` : ''}`);
}
