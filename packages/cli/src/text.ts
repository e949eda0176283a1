/** A heading line and `label  value` lines under it; empty values are left out. */
export function fieldsText(heading: string, fields: [label: string, value: string | number | null | undefined][]): string {
  const shown = fields.filter(
    (field): field is [string, string | number] => field[1] !== null && field[1] !== undefined && field[1] !== '',
  );
  const width = Math.max(0, ...shown.map(([label]) => label.length));
  const lines = shown.map(
    ([label, value]) =>
      `  ${label.padEnd(width)}  ${String(value)
        .split('\n')
        .join(`\n  ${' '.repeat(width)}  `)}`,
  );
  return [heading, ...lines].join('\n');
}

/** Rows as aligned columns under a header. */
export function tableText(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export const seconds = (ms: number | null) => (ms === null ? null : `${(ms / 1000).toFixed(1)} s`);
export const dollars = (usd: number | null) => (usd === null ? null : `$${usd.toFixed(4)}`);
