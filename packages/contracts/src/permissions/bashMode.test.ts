import { describe, expect, it } from 'vitest';
import { bashModeCommand, followKeystrokes, mayStartBashMode } from './bashMode.ts';

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

  it.each([' !touch m2', '\n!touch m6', '\t!touch m7', 'touch m3', 'say !hello', '', '!', '!   ', '!\n'])(
    '%j runs no shell command',
    (text) => {
      expect(bashModeCommand(text)).toBeNull();
    },
  );

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

describe('mayStartBashMode', () => {
  it.each(['!', '!rm -rf x', 'hello\r!rm x', '!\n', 'ok\u001b[201~!rm x'])('%j may leave the CLI in bash mode', (text) => {
    expect(mayStartBashMode(text)).toBe(true);
  });
  it.each([' !rm', 'say !hi', 'hello\n!rm', 'Message from the operator: !rm -rf x', ''])('%j does not', (text) => {
    expect(mayStartBashMode(text)).toBe(false);
  });
});

/** Attach input arrives keystroke by keystroke: a `!` counts as bash mode unless text was typed before it on the line. */
describe('followKeystrokes', () => {
  const typed = (frames: string[], textCounts = true) => {
    let lineHasText = false;
    const bangs: boolean[] = [];
    for (const frame of frames) {
      const next = followKeystrokes(lineHasText, frame, textCounts);
      bangs.push(next.bang);
      lineHasText = next.lineHasText;
    }
    return bangs;
  };

  it.each<[string, string[], boolean[]]>([
    ['a ! at an empty line', ['!'], [true]],
    ['a ! after text', ['h', 'i', '!'], [false, false, false]],
    ['text and ! in one frame', ['hi!'], [false]],
    ['a ! after Enter', ['hi', '\r', '!'], [false, false, true]],
    ['a ! after a CR inside a frame', ['hi\r!rm x'], [true]],
    ['a ! after Backspace (the line may be empty)', ['a', '\x7f', '!'], [false, false, true]],
    ['a ! after Ctrl+U', ['abc', '\x15!'], [false, true]],
    ['a ! after Home (cursor at the start)', ['abc', '\x1b[H', '!'], [false, false, true]],
    ['a ! after Ctrl+A', ['abc\x01!'], [true]],
    ['a bracketed paste starting with !', ['\x1b[200~!rm -rf x\x1b[201~'], [true]],
    ['a bracketed paste with text first', ['\x1b[200~echo !x\x1b[201~'], [false]],
    ['Alt+!', ['\x1b!'], [true]],
    ['a ! inside a CSI sequence', ['abc\x1b[!p'], [true]],
    ['arrow keys then text then !', ['\x1b[A', 'x', '!'], [false, false, false]],
  ])('%s', (_, frames, bangs) => {
    expect(typed(frames)).toEqual(bangs);
  });

  it('text typed while the prompt takes no input (a dialog is open) does not count', () => {
    expect(typed(['1', '!'], false)).toEqual([false, true]);
  });
});
