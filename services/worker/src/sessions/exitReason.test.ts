import { describe, expect, it } from 'vitest';
import { exitReason } from './exitReason.ts';

describe('exitReason', () => {
  it('quotes the last lines claude left on the screen when it exits with an error', () => {
    const screen = ['', 'Claude Code', '', 'No conversation found with session ID: 1234', '', ''];
    expect(exitReason({ exitCode: 1, signal: null }, screen)).toBe('claude exited with code 1; it printed:\nClaude Code\nNo conversation found with session ID: 1234');
  });

  it('keeps to the last six lines', () => {
    const screen = Array.from({ length: 10 }, (_, i) => `line ${i}`);
    expect(exitReason({ exitCode: 2, signal: null }, screen)?.split('\n').slice(1)).toEqual(['line 4', 'line 5', 'line 6', 'line 7', 'line 8', 'line 9']);
  });

  it('gives no reason for a clean exit or a kill', () => {
    expect(exitReason({ exitCode: 0, signal: null }, ['bye'])).toBeUndefined();
    expect(exitReason({ exitCode: null, signal: 'SIGTERM' }, ['bye'])).toBeUndefined();
  });

  it('an empty screen: just the code', () => {
    expect(exitReason({ exitCode: 127, signal: null }, ['', ''])).toBe('claude exited with code 127');
  });
});
