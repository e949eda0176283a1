import os from 'node:os';
import { isBlank } from './blank.ts';

/** One row of xterm's buffer as its BufferLine keeps it (@xterm/headless 6.0, pinned): three numbers per cell. */
export interface XtermBufferLine {
  _data: Uint32Array;
  /** The text of cells holding more than one code point (a combining mark, an emoji sequence). */
  _combined: Record<number, string>;
  getTrimmedLength(): number;
}

/** A cell's first number: its code point, whether it is combined, and its width. */
const CODEPOINT_MASK = 0x1fffff;
const IS_COMBINED_MASK = 0x200000;
const WIDTH_SHIFT = 22;
const SPACE = 0x20;

/**
 * Reads rows of xterm's buffer as text, as `IBufferLine.translateToString(true).trimEnd()` does (blanks the CLI
 * wrote at a row's end are dropped, as the empty cells after them), into one flat string:
 * xterm's own adds a string per cell, a rope of as many pieces, which the screen's row cache would keep (and the
 * collector copy) until the row is read again. Not in xterm's public API: {@link isXtermBufferLine} checks it.
 * The row's UTF-16 units are decoded as one little-endian buffer (five times faster than
 * `String.fromCharCode.apply` over a typed array, which copies it into an argument list first).
 */
export class RowText {
  private codes!: Uint16Array;
  /** The bytes of `codes`, little-endian (checked once: the decode below reads them so). */
  private bytes!: Buffer;

  constructor(cols: number) {
    if (os.endianness() !== 'LE') throw new Error('RowText decodes UTF-16 units as little-endian: this machine is big-endian');
    // At most two UTF-16 units per cell, more for the rare combined cell (the buffer grows then).
    this.allocate(cols * 2);
  }

  private allocate(units: number): Uint16Array {
    const grown = new Uint16Array(units);
    if (this.codes) grown.set(this.codes);
    this.codes = grown;
    this.bytes = Buffer.from(grown.buffer, grown.byteOffset, grown.byteLength);
    return grown;
  }

  read(line: XtermBufferLine): string {
    const data = line._data;
    const end = line.getTrimmedLength();
    if (end === 0) return '';
    // Room for two units per cell; a combined cell's text may need more (checked at each).
    let codes = this.codes.length >= end * 2 ? this.codes : this.allocate(end * 2);
    let length = 0;
    for (let col = 0; col < end; ) {
      const content = data[col * 3] ?? 0;
      if (content & IS_COMBINED_MASK) {
        const text = line._combined[col] ?? '';
        const needed = length + text.length + (end - col) * 2;
        if (needed > codes.length) codes = this.allocate(needed * 2);
        for (let i = 0; i < text.length; i++) codes[length++] = text.charCodeAt(i);
      } else {
        const codePoint = content & CODEPOINT_MASK;
        if (codePoint > 0xffff) {
          codes[length++] = 0xd800 + ((codePoint - 0x10000) >> 10);
          codes[length++] = 0xdc00 + ((codePoint - 0x10000) & 0x3ff);
        } else codes[length++] = codePoint === 0 ? SPACE : codePoint;
      }
      col += content >> WIDTH_SHIFT || 1;
    }
    // Trimmed at its end: the blanks the program wrote after its text (the empty cells are not read).
    while (length > 0 && isBlank(codes[length - 1] ?? 0)) length--;
    return length === 0 ? '' : this.bytes.toString('utf16le', 0, length * 2);
  }
}

export function isXtermBufferLine(line: unknown): line is XtermBufferLine {
  const candidate = line as Partial<XtermBufferLine> | undefined;
  return (
    candidate?._data instanceof Uint32Array && typeof candidate.getTrimmedLength === 'function' && typeof candidate._combined === 'object'
  );
}
