/** Times as the console shows them: the local clock time, with the date when it is not today. */
export function formatTime(iso: string | null): string {
  if (!iso) return '—';
  const date = new Date(iso);
  const today = new Date().toDateString() === date.toDateString();
  return today ? date.toLocaleTimeString() : date.toLocaleString();
}

/** The first line of a text, cut to `max` characters. */
export function clip(text: string, max = 80): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > max || text.includes('\n') ? `${line.slice(0, max)}…` : line;
}

/** Dollars with enough digits for the cents-and-less costs of single tasks. */
export function formatUsd(amount: number): string {
  return `$${amount.toFixed(amount !== 0 && Math.abs(amount) < 1 ? 4 : 2)}`;
}
