import { describe, expect, it } from 'vitest';
import { exitReason, sessionEndReason } from './exitReason.ts';

describe('exitReason', () => {
  it('quotes the last lines claude left on the screen when it exits with an error', () => {
    const screen = ['', 'Claude Code', '', 'No conversation found with session ID: 1234', '', ''];
    expect(exitReason({ exitCode: 1, signal: null }, screen)).toBe(
      'claude exited with code 1; it printed:\nClaude Code\nNo conversation found with session ID: 1234',
    );
  });

  it('keeps to the last six lines', () => {
    const screen = Array.from({ length: 10 }, (_, i) => `line ${i}`);
    expect(exitReason({ exitCode: 2, signal: null }, screen)?.split('\n').slice(1)).toEqual([
      'line 4',
      'line 5',
      'line 6',
      'line 7',
      'line 8',
      'line 9',
    ]);
  });

  it('gives no reason for a clean exit or a kill', () => {
    expect(exitReason({ exitCode: 0, signal: null }, ['bye'])).toBeUndefined();
    expect(exitReason({ exitCode: null, signal: 'SIGTERM' }, ['bye'])).toBeUndefined();
  });

  it("a known failure on the screen is told in Mission's words, with the fix", () => {
    const reason = exitReason({ exitCode: 1, signal: null }, ['Claude Code', 'Not logged in · Please run /login']);
    expect(reason).toMatch(/^claude_no_credentials: claude has no credentials: no API key and no login\. Fix: set ANTHROPIC_API_KEY/);
    expect(reason).toContain('(claude said: claude exited with code 1; it printed:\nClaude Code\nNot logged in · Please run /login)');
  });

  it('an empty screen: just the code', () => {
    expect(exitReason({ exitCode: 127, signal: null }, ['', ''])).toBe('claude exited with code 127');
  });
});

describe("sessionEndReason (the session's exitReason)", () => {
  it("killed on request whatever the code; else claude's error; else how it ended", () => {
    expect(sessionEndReason({ exitCode: 143, signal: null }, true, undefined)).toBe('killed on request');
    expect(sessionEndReason({ exitCode: 1, signal: null }, false, 'claude exited with code 1')).toBe('claude exited with code 1');
    expect(sessionEndReason({ exitCode: 0, signal: null }, false, undefined)).toBe('claude exited (code 0)');
    expect(sessionEndReason({ exitCode: 0, signal: 'SIGKILL' }, false, undefined)).toBe('claude was ended by signal SIGKILL');
  });
});
