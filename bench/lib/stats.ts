/** Percentile (nearest rank) of a sample, in the sample's unit. */
export function percentile(sample: readonly number[], p: number): number {
  if (sample.length === 0) return Number.NaN;
  const sorted = [...sample].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export interface LatencySummary {
  p50: number;
  /** Nearest rank: the max itself below 100 values, where a table prints `max` instead. */
  p99: number;
  max: number;
  n: number;
}

export function summarize(sample: readonly number[]): LatencySummary {
  return { p50: percentile(sample, 50), p99: percentile(sample, 99), max: percentile(sample, 100), n: sample.length };
}

export const ms = (value: number) => `${value.toFixed(2)} ms`;
export const ratio = (value: number, baseline: number) => {
  const r = value / baseline;
  return `${r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}×`;
};

/** Prints a titled table of rows (label → columns). */
export function report(title: string, header: string[], rows: (string | number)[][]): void {
  const table = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
  console.log(`\n## ${title}`);
  for (const [index, row] of table.entries()) {
    console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
    if (index === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

export async function timeIt<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}
