import { describe, expect, it } from 'vitest';
import { HeadlessTerminal, readScreen } from './terminal.ts';

const write = (terminal: HeadlessTerminal, data: string) => new Promise<void>((resolve) => terminal.write(data, resolve));

/**
 * The terminal rereads only the rows xterm's parser wrote: after each of these writes, the cached screen
 * must be what a full read gives, and the rows told as changed exactly those whose text changed.
 */
describe('HeadlessTerminal follows the rows xterm writes', () => {
  const cases: [string, string][] = [
    ['a print that wraps over several rows', `\x1b[2;1H${'x'.repeat(20 * 3 + 5)}`],
    ['erase below the cursor', '\x1b[3;4H\x1b[0J'],
    ['erase above the cursor', '\x1b[5;4H\x1b[1J'],
    ['erase the display', '\x1b[2J'],
    ['erase in a line', '\x1b[4;3H\x1b[K'],
    ['insert and delete lines', '\x1b[3;1H\x1b[2L\x1b[6;1H\x1b[1M'],
    ['insert and delete characters', '\x1b[2;2H\x1b[3@\x1b[3;2H\x1b[2P\x1b[4;1H\x1b[3X'],
    ['scroll inside a region', '\x1b[2;5r\x1b[5;1H\n\nscrolled\x1b[r'],
    ['scroll up and down', '\x1b[2S\x1b[1T'],
    ['a line feed at the bottom scrolls the screen', '\x1b[8;1Hbottom\nnew line'],
    ['the alternate screen and back', '\x1b[?1049halt\x1b[?1049l'],
    ['the alternate screen, written over, and back to a written row', '\x1b[?1049h\x1b[2J\x1b[3;1Halt\x1b[?1049l\x1b[2;1Hnormal'],
    ['the alternate screen, where a full reset ends it', '\x1b[?1049halt\x1bc'],
    ['a resize while on the alternate screen, and back', '\x1b[?1049halt\x1b[8t\x1b[?1049l'],
    ['a full reset', '\x1bc'],
    ['the screen alignment pattern', '\x1b#8'],
    ['reverse index at the top', '\x1b[1;1H\x1bM'],
  ];
  for (const [what, data] of cases) {
    it(what, async () => {
      const terminal = new HeadlessTerminal({ cols: 20, rows: 8 });
      await write(terminal, Array.from({ length: 8 }, (_, i) => `line ${i}`).join('\r\n'));
      const before = terminal.screen().lines;
      terminal.takeChangedRows();
      await write(terminal, data);
      const full = readScreen(terminal.xterm, terminal.title);
      const changed = terminal.takeChangedRows();
      expect(terminal.screen()).toEqual(full);
      expect(changed).toEqual(full.lines.flatMap((line, row) => (line === before[row] ? [] : [row])));
      terminal.dispose();
    });
  }

  it('a move of the cursor alone changes no row', async () => {
    const terminal = new HeadlessTerminal({ cols: 20, rows: 8 });
    await write(terminal, 'top\r\n\r\n\r\nmiddle');
    terminal.takeChangedRows();
    const read = terminal.counts.rowsRead;
    await write(terminal, '\x1b[H\x1b[6B\x1b[3G\x1b[2A\x1b[8;20H\r\x1b[1B\x1b[2C\x1b[1D');
    expect(terminal.takeChangedRows()).toEqual([]);
    // Not even read again: no row was written.
    expect(terminal.counts.rowsRead).toBe(read);
    expect(terminal.screen()).toEqual(readScreen(terminal.xterm, terminal.title));
    terminal.dispose();
  });

  it('leaving the alternate screen rereads only the rows written on the normal one meanwhile', async () => {
    const terminal = new HeadlessTerminal({ cols: 20, rows: 8 });
    await write(terminal, 'top\r\n\r\nmiddle');
    terminal.takeChangedRows();
    await write(terminal, '\x1b[?1049h\x1b[2J\x1b[Halternate');
    expect(terminal.takeChangedRows()).toEqual([0, 2]);
    const read = terminal.counts.rowsRead;
    await write(terminal, '\x1b[?1049l');
    expect(terminal.takeChangedRows()).toEqual([0, 2]);
    expect(terminal.counts.rowsRead).toBe(read);
    expect(terminal.screen()).toEqual(readScreen(terminal.xterm, terminal.title));
    terminal.dispose();
  });

  it('a resize rereads every row', async () => {
    const terminal = new HeadlessTerminal({ cols: 20, rows: 8 });
    await write(terminal, 'a long line that wraps around');
    terminal.takeChangedRows();
    terminal.resize(10, 5);
    expect(terminal.screen()).toEqual(readScreen(terminal.xterm, terminal.title));
    terminal.dispose();
  });
});

/**
 * A frame being drawn is no screen to read: the program is inside a synchronized update (DEC mode 2026), or it has
 * cleared the screen and not drawn the frame yet. Rows found changed meanwhile are still changed for the next read.
 */
describe('HeadlessTerminal tells a frame being drawn', () => {
  it('between the marks of a synchronized update, and on a blank screen', async () => {
    const terminal = new HeadlessTerminal({ cols: 20, rows: 4 });
    expect(terminal.drawing).toBe(true);
    await write(terminal, 'prompt');
    expect(terminal.drawing).toBe(false);
    await write(terminal, '\x1b[?2026h\x1b[2J\x1b[Hhalf');
    expect(terminal.drawing).toBe(true);
    await write(terminal, ' a frame\x1b[?2026l');
    expect(terminal.drawing).toBe(false);
    await write(terminal, '\x1b[2J');
    expect(terminal.drawing).toBe(true);
    await write(terminal, '\x1b[2;1Hredrawn');
    expect(terminal.drawing).toBe(false);
  });

  it('the rows a look at a frame being drawn found changed are changed for the next read, and for writtenOnlyIn', async () => {
    const terminal = new HeadlessTerminal({ cols: 20, rows: 4 });
    await write(terminal, 'top\r\nbox');
    terminal.takeChangedRows();
    await write(terminal, '\x1b[2J');
    expect(terminal.drawing).toBe(true);
    await write(terminal, '\x1b[1;1Htop');
    // Only row 0 was written since the look; row 1 was cleared before it (row 0 changed twice: blank, then as before).
    expect(terminal.writtenOnlyIn(new Set([0]))).toBe(false);
    expect(terminal.takeChangedRows()).toEqual([0, 1]);
    expect(terminal.writtenOnlyIn(new Set([0]))).toBe(true);
  });
});

/** What an attaching client is sent first: escape sequences that draw the screen as it is, whatever came before. */
describe('HeadlessTerminal serializes its screen for an attach', () => {
  it('redraws the text and its attributes in a fresh terminal, at the first attach and at a later one', async () => {
    const terminal = new HeadlessTerminal({ cols: 30, rows: 5 });
    await write(terminal, 'plain\r\n\x1b[1;31mbold red\x1b[0m and plain\r\n\x1b[4;10Hmoved');
    const attach = async () => {
      const fresh = new HeadlessTerminal({ cols: 30, rows: 5 });
      await write(fresh, terminal.serialize());
      const redrawn = readScreen(fresh.xterm, '');
      const cell = fresh.xterm.buffer.active.getLine(1)?.getCell(0);
      fresh.dispose();
      return { lines: redrawn.lines, bold: Boolean(cell?.isBold()), red: cell?.getFgColor() };
    };
    const first = await attach();
    expect(first).toEqual({ lines: readScreen(terminal.xterm, '').lines, bold: true, red: 1 });
    await write(terminal, '\x1b[5;1Hlater');
    expect((await attach()).lines).toEqual(readScreen(terminal.xterm, '').lines);
    terminal.dispose();
  });
});
