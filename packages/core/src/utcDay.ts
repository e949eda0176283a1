/** A calendar day in UTC: what "today" means for usage totals and daily budgets. */
export interface UtcDay {
  /** e.g. `2026-11-25` */
  date: string;
  /** Midnight UTC at its start. */
  start: Date;
  /** Midnight UTC at its end: when a daily budget resets. */
  end: Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export function utcDay(now: Date): UtcDay {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  return { date: start.toISOString().slice(0, 10), start, end: new Date(start.getTime() + DAY_MS) };
}
