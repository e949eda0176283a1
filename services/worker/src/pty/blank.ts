/** What `\s` matches: ASCII blanks, the no-break and Unicode spaces, the line and paragraph separators, the BOM. */
export function isBlank(code: number): boolean {
  if (code === 0x20 || (code >= 0x09 && code <= 0x0d)) return true;
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/** As `line.trimEnd()`, without the call when the line does not end in a blank (the terminal's rows never do). */
export function trimEnd(line: string): string {
  return isBlank(line.charCodeAt(line.length - 1)) ? line.trimEnd() : line;
}

/** `rows` trimmed at their end: the same array when none ends in a blank (the terminal's rows never do). */
export function trimmedRows(rows: readonly string[]): readonly string[] {
  for (const line of rows) if (isBlank(line.charCodeAt(line.length - 1))) return rows.map(trimEnd);
  return rows;
}

/** The first character of `line` that is not a blank (`\s`), or NaN for a blank line (a loop: a search per row and read was most of this function's cost). */
export function firstVisible(line: string): number {
  for (let i = 0; i < line.length; i++) {
    const code = line.charCodeAt(i);
    if (!isBlank(code)) return code;
  }
  return Number.NaN;
}
