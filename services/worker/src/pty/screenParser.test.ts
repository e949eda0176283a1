import { describe, expect, it } from 'vitest';
import type { Screen } from './screen.ts';
import { isInertLine, parseScreenRows, reframe } from './screenParser.ts';

const RULE = '─'.repeat(40);
const screenOf = (lines: string[], title = 'claude'): Screen => ({
  lines: [...lines, ...Array(12 - lines.length).fill('')],
  cursor: { row: 0, col: 0 },
  title,
});
const base = ['❯ say hello', '', '● Hello.', '', '✻ Cooking… (3s · ↓ 12 tokens)', '', RULE, '❯ ', RULE, '  ? for shortcuts'];

describe('reframe', () => {
  const changedTo = (row: number, line: string) => {
    const lines = [...base];
    lines[row] = line;
    return screenOf(lines);
  };
  const parsed = parseScreenRows(screenOf(base));

  it('gives what a whole parse gives when only the input box or its footer changed', () => {
    expect(parsed.box).toEqual({ top: 6, bottom: 8 });
    expect(parsed.snapshot).toMatchObject({ state: 'idle', status: { text: 'Cooking…', interruptible: false } });
    expect(reframe(parsed, changedTo(9, '  esc to interrupt').lines, [9], 'claude')?.snapshot).toMatchObject({
      state: 'working',
      status: { interruptible: true },
    });
    for (const [row, line] of [
      [7, '❯ typing a prompt'],
      [9, '  ⏸ manual mode on · esc to interrupt'],
      [10, '  another footer line'],
    ] as const) {
      const screen = changedTo(row, line);
      expect(reframe(parsed, screen.lines, [row], 'new title')).toEqual(parseScreenRows({ ...screen, title: 'new title' }));
    }
  });

  it('declines when the box would be found elsewhere, or the transcript changed', () => {
    expect(reframe(parsed, changedTo(9, RULE).lines, [9], 'claude')).toBeNull();
    expect(reframe(parsed, changedTo(7, 'typed without the prompt').lines, [7], 'claude')).toBeNull();
    expect(reframe(parsed, changedTo(8, 'no rule').lines, [8], 'claude')).toBeNull();
    expect(reframe(parsed, changedTo(2, '● Hello there.').lines, [2], 'claude')).toBeNull();
    const noBox = parseScreenRows(screenOf(base.slice(0, 5)));
    expect(reframe(noBox, screenOf(base.slice(0, 5)).lines, [6], 'claude')).toBeNull();
  });
});

describe('isInertLine', () => {
  it('judges a line the same however often it is asked, also once its verdicts were forgotten', () => {
    const header = ' ▐▛███▛█   Claude Code v2.1.331';
    const block = '● Hello.';
    for (let round = 0; round < 3; round++) {
      expect(isInertLine(header)).toBe(true);
      expect(isInertLine(block)).toBe(false);
      expect(isInertLine('')).toBe(false);
      // More lines than are kept: the verdicts are forgotten and judged again.
      for (let i = 0; i < 300; i++) expect(isInertLine(`${'x'.repeat(i % 7)} frame ${round} ${i}`)).toBe(true);
    }
  });
});

describe('the status line while a permission dialog is about to open', () => {
  // As Claude Code 2.1.331 and 2.1.332 draw it between a tool call's header and its dialog: no spinner, indented as
  // a text block's continuation would be, the footer saying the turn can be interrupted.
  const waiting = (footer: string) =>
    screenOf(['❯ change it', '', '● Update(/w/greeting.txt)', '', '', '  Waiting for permission…', RULE, '❯ ', RULE, footer]);

  it('is the status line, not more of the tool call above it', () => {
    expect(parseScreenRows(waiting('  ⏸ manual mode on · esc to interrupt')).snapshot).toMatchObject({
      state: 'working',
      toolCalls: [{ tool: 'Update', args: '/w/greeting.txt', output: [] }],
      status: { text: 'Waiting for permission…', interruptible: true },
    });
  });

  it('is what Claude wrote when the turn is over', () => {
    const said = screenOf(['❯ what does it say?', '', '● It says:', '  Waiting for permission…', RULE, '❯ ', RULE, '  ? for shortcuts']);
    expect(parseScreenRows(said).snapshot).toMatchObject({
      state: 'idle',
      lastResponse: 'It says:\nWaiting for permission…',
      status: null,
    });
  });
});
