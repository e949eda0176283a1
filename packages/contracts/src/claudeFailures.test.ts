import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { claudeFailureIn, describeClaudeFailure } from './claudeFailures.ts';

/** What each recorded CLI version printed for each failure (tests/fixtures/recordFailures.ts). */
const folder = new URL('../../../tests/fixtures/claude-failures/', import.meta.url);
const recorded = readdirSync(folder)
  .filter((file) => file.endsWith('.json'))
  .flatMap((file) => {
    const { failures } = JSON.parse(readFileSync(new URL(file, folder), 'utf8')) as {
      failures: { case: string; result: string; expected: string }[];
    };
    return failures.map((failure) => ({ ...failure, version: file.slice(0, -'.json'.length) }));
  });

describe("claude's failures in Mission's words", () => {
  it('has the failures of more than one version', () => {
    expect(new Set(recorded.map((failure) => failure.version)).size).toBeGreaterThan(1);
  });

  it.each(recorded)('$case: what claude $version printed is $expected', ({ result, expected }) => {
    expect(claudeFailureIn(result)?.code).toBe(expected);
  });

  it('the hint names Mission’s fix, never a Claude Code command', () => {
    for (const { result } of recorded) {
      const hint = claudeFailureIn(result)!.hint;
      expect(hint).toMatch(/ANTHROPIC_API_KEY|ANTHROPIC_BASE_URL|mission doctor|slots\.yaml/);
      expect(hint).not.toMatch(/\/login|--model/);
    }
  });

  it('a known failure reads code, what happened, the fix, then what claude said; anything else is left as it is', () => {
    expect(describeClaudeFailure('Not logged in · Please run /login')).toBe(
      "claude_no_credentials: claude has no credentials: no API key and no login. Fix: set ANTHROPIC_API_KEY in Mission's environment (or log claude in as the worker's user); `mission doctor` checks it (claude said: Not logged in · Please run /login)",
    );
    expect(describeClaudeFailure('API Error: 400 stub says: this request is refused')).toBe(
      'API Error: 400 stub says: this request is refused',
    );
    expect(claudeFailureIn('The tests pass.')).toBeUndefined();
  });
});
