import { describe, expect, it } from 'vitest';
import { isXtermBufferLine, RowText } from './rowText.ts';
import { HeadlessTerminal } from './terminal.ts';

const write = (terminal: HeadlessTerminal, data: string) => new Promise<void>((resolve) => terminal.write(data, resolve));

describe('RowText reads a row as xterm translates it, trimmed at its end', () => {
  const rows: [string, string][] = [
    ['plain text with trailing spaces written', 'hello world     '],
    ['only spaces written', '     '],
    ['other blanks written at the end (no-break, ideographic)', 'end\u00a0\u3000 '],
    ['a blank row', ''],
    ['wide characters', '漢字のテスト and ｗｉｄｅ'],
    ['code points beyond the BMP', 'emoji 😀 and 𝒳'],
    ['combining marks and sequences', 'e\u0301 cafe\u0301 👍🏽 👨‍👩‍👧'],
    ['Claude Code glyphs', ' ▐▛███▛█   Claude Code ● ⎿ ❯ ✻ ─────'],
    ['cells erased with a background', '\x1b[44m   \x1b[K\x1b[0mafter'],
    ['a cursor jump that leaves empty cells between', 'left\x1b[30Gright'],
  ];
  for (const [what, data] of rows) {
    it(what, async () => {
      const terminal = new HeadlessTerminal({ cols: 40, rows: 3 });
      await write(terminal, data);
      const view = terminal.xterm.buffer.active.getLine(0)!;
      const line = (view as unknown as { _line: unknown })._line;
      expect(isXtermBufferLine(line)).toBe(true);
      // A small buffer to begin with: it grows for a row that needs more.
      const text = new RowText(2);
      if (isXtermBufferLine(line)) expect(text.read(line)).toBe(view.translateToString(true).trimEnd());
      terminal.dispose();
    });
  }
});
