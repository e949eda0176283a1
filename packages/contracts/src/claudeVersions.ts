/**
 * The Claude Code versions Mission is tested with, oldest first: the tests run the last one, and the screen's
 * readers, the hook payload parser and the failure texts are tested on recordings of each
 * (tests/fixtures/claude/<version>). Another version works as far as it draws its screen and calls its hooks as
 * these do.
 */
export const TESTED_CLAUDE_VERSIONS: readonly string[] = ['2.1.331', '2.1.332'];

/** The version in what `claude --version` prints ("2.1.332 (Claude Code)"), or null. */
export function claudeVersionIn(printed: string): string | null {
  return /^\s*(\d+\.\d+\.\d+)\b/.exec(printed)?.[1] ?? null;
}

/** Whether Mission is tested with this version of Claude Code. */
export function isTestedClaudeVersion(version: string | null): boolean {
  return version !== null && TESTED_CLAUDE_VERSIONS.includes(version);
}

/** Whether Mission is tested with the claude that printed `printed` (`claude --version`), in a few words. Pure. */
export function claudeVersionNote(printed: string): string {
  if (isTestedClaudeVersion(claudeVersionIn(printed))) return 'a version Mission is tested with';
  return `Mission is tested with ${TESTED_CLAUDE_VERSIONS.join(' and ')}: interactive sessions read the screen of another version, which it may draw differently`;
}
