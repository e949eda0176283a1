import { describe, expect, it } from 'vitest';
import { claudeVersionIn, claudeVersionNote, TESTED_CLAUDE_VERSIONS } from './claudeVersions.ts';

describe('the Claude Code versions Mission is tested with', () => {
  it('reads the version claude --version prints', () => {
    expect(claudeVersionIn('2.1.332 (Claude Code)\n')).toBe('2.1.332');
    expect(claudeVersionIn('claude, some other program')).toBeNull();
  });

  it('says whether a version is tested, and which are when it is not', () => {
    expect(claudeVersionNote(`${TESTED_CLAUDE_VERSIONS.at(-1)} (Claude Code)`)).toBe('a version Mission is tested with');
    expect(claudeVersionNote('2.1.400 (Claude Code)')).toBe(
      `Mission is tested with ${TESTED_CLAUDE_VERSIONS.join(' and ')}: interactive sessions read the screen of another version, which it may draw differently`,
    );
    expect(claudeVersionNote('not a version')).toMatch(/^Mission is tested with /);
  });
});
