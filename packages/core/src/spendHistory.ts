import { costPerDaySince, type Database, taskTimesInWindow } from '@mission/store';
import { utcDay } from './utcDay.ts';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/**
 * One UTC day's spend: tasks count on the day they ended (today until then, as the daily budget counts them), sessions
 * on the day their cost was last recorded.
 */
export interface DaySpend {
  day: string;
  costUsd: number;
  tasksCostUsd: number;
  sessionsCostUsd: number;
  tasksEnded: number;
}

/** The last `days` UTC days up to `now`'s, oldest first. Pure. */
export function lastDays(days: number, now: Date): string[] {
  const today = utcDay(now).start.getTime();
  return Array.from({ length: days }, (_, i) => new Date(today - (days - 1 - i) * DAY_MS).toISOString().slice(0, 10));
}

/** Spend per UTC day over the last `days` days (days without spend included, with zeros); optionally one slot's. */
export async function dailySpend(db: Database, options: { days: number; slot?: string; now?: Date }): Promise<DaySpend[]> {
  const now = options.now ?? new Date();
  const days = lastDays(options.days, now);
  const since = `${days[0]}T00:00:00.000Z`;
  const { tasks: taskRows, sessions: sessionRows } = await costPerDaySince(db, since, options.slot);
  const notEnded = taskRows.find((row) => row.day === null)?.costUsd ?? 0;
  return days.map((day) => {
    const task = taskRows.find((row) => row.day === day);
    const session = sessionRows.find((row) => row.day === day);
    const tasksCostUsd = (task?.costUsd ?? 0) + (day === days.at(-1) ? notEnded : 0);
    const sessionsCostUsd = session?.costUsd ?? 0;
    return { day, costUsd: tasksCostUsd + sessionsCostUsd, tasksCostUsd, sessionsCostUsd, tasksEnded: task?.ended ?? 0 };
  });
}

/** One minute of the fleet: tasks that started and ended in it, and the tasks waiting in the queue at its end. */
export interface MinuteActivity {
  /** The minute's start (ISO). */
  at: string;
  tasksStarted: number;
  tasksEnded: number;
  queued: number;
}

/** The times that make a task's queue and throughput history. */
export interface TaskTimes {
  createdAt: Date;
  /** When it started running; null if it never did (still queued, or cancelled while queued). */
  startedAt: Date | null;
  finishedAt: Date | null;
}

/**
 * Minute buckets of the `minutes` minutes up to `now` (the last one is the minute in progress): started and
 * ended tasks per minute, and the queue depth at the minute's end (or now) — tasks created and not yet
 * started or ended before it. Pure.
 */
export function minuteActivity(rows: readonly TaskTimes[], minutes: number, now: Date): MinuteActivity[] {
  const current = Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS;
  return Array.from({ length: minutes }, (_, i) => {
    const start = current - (minutes - 1 - i) * MINUTE_MS;
    const end = Math.min(start + MINUTE_MS, now.getTime());
    const within = (at: Date | null) => at !== null && at.getTime() >= start && at.getTime() < start + MINUTE_MS;
    const leftQueue = (row: TaskTimes) => row.startedAt ?? row.finishedAt;
    return {
      at: new Date(start).toISOString(),
      tasksStarted: rows.filter((row) => within(row.startedAt)).length,
      tasksEnded: rows.filter((row) => within(row.finishedAt)).length,
      queued: rows.filter((row) => row.createdAt.getTime() < end && !(leftQueue(row) && leftQueue(row)!.getTime() < end)).length,
    };
  });
}

/**
 * Tasks per minute and queue depth over the last `minutes` minutes, rebuilt from the task rows (so it is the
 * same on every API replica and needs no sampler). Only tasks that could count are read: those that
 * started or ended in the window, or had not left the queue by its start.
 */
export async function activityTimeline(db: Database, options: { minutes: number; now?: Date }): Promise<MinuteActivity[]> {
  const now = options.now ?? new Date();
  const windowStart = new Date(Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS - (options.minutes - 1) * MINUTE_MS);
  return minuteActivity(await taskTimesInWindow(db, windowStart, now), options.minutes, now);
}
