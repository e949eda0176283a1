import { describe, expect, it } from 'vitest';
import { bashModeCommand } from './bashMode.ts';

/** What Claude Code 2.1.331 did with each text pasted into an empty prompt and submitted (tried in a PTY). */
describe('bashModeCommand', () => {
  it.each([
    ['!touch m1', 'touch m1'],
    ['!   touch m10', '   touch m10'],
    ['!touch m4\ntouch m5', 'touch m4\ntouch m5'],
    ['!touch m11\rtouch m12', 'touch m11\ntouch m12'],
    ['!touch a\r\ntouch b', 'touch a\ntouch b'],
    ['!!touch m15', '!touch m15'],
    ['!touch m9 #' + 'x'.repeat(3000), 'touch m9 #' + 'x'.repeat(3000)],
  ])('%j starts bash mode running %j', (text, command) => {
    expect(bashModeCommand(text)).toBe(command);
  });

  it.each([' !touch m2', '\n!touch m6', '\t!touch m7', 'touch m3', 'say !hello', '', '!', '!   ', '!\n'])('%j runs no shell command', (text) => {
    expect(bashModeCommand(text)).toBeNull();
  });

  it('a `!` after a CR starts bash mode where the CLI takes no bracketed paste (the CR submits)', () => {
    expect(bashModeCommand('hello\r!rm -rf x')).toBe('rm -rf x');
    expect(bashModeCommand('hello\n!rm -rf x')).toBeNull();
  });

  it('text with escape or other control characters is checked whole: it can end a paste', () => {
    const sneaky = 'hello\u001b[201~\r!rm -rf x\r';
    expect(bashModeCommand(sneaky)).toBe(sneaky);
    expect(bashModeCommand('ok\u0003')).toBe('ok\u0003');
  });
});
