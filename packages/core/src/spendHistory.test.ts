import { describe, expect, it } from 'vitest';
import { lastDays, minuteActivity } from './spendHistory.ts';

const at = (iso: string) => new Date(iso);

describe('lastDays', () => {
  it('is the last N UTC days up to today, oldest first, across a month end', () => {
    expect(lastDays(3, at('2026-12-01T00:30:00Z'))).toEqual(['2026-11-29', '2026-11-30', '2026-12-01']);
    expect(lastDays(1, at('2026-11-30T23:59:59.999Z'))).toEqual(['2026-11-30']);
  });
});

describe('minuteActivity', () => {
  const now = at('2026-11-30T10:03:30Z');

  it('counts starts and ends in their minute, and the queue at each minute end (now for the last)', () => {
    const rows = [
      // Waiting since before the window, started in minute 10:01.
      { createdAt: at('2026-11-30T09:50:00Z'), startedAt: at('2026-11-30T10:01:10Z'), finishedAt: at('2026-11-30T10:02:05Z') },
      // Created in 10:00, still queued now.
      { createdAt: at('2026-11-30T10:00:20Z'), startedAt: null, finishedAt: null },
      // Cancelled while queued, in 10:02: it left the queue without starting.
      { createdAt: at('2026-11-30T10:01:00Z'), startedAt: null, finishedAt: at('2026-11-30T10:02:30Z') },
      // Created after the minute in progress began: queued now.
      { createdAt: at('2026-11-30T10:03:10Z'), startedAt: null, finishedAt: null },
    ];
    expect(minuteActivity(rows, 4, now)).toEqual([
      { at: '2026-11-30T10:00:00.000Z', tasksStarted: 0, tasksEnded: 0, queued: 2 },
      { at: '2026-11-30T10:01:00.000Z', tasksStarted: 1, tasksEnded: 0, queued: 2 },
      { at: '2026-11-30T10:02:00.000Z', tasksStarted: 0, tasksEnded: 2, queued: 1 },
      { at: '2026-11-30T10:03:00.000Z', tasksStarted: 0, tasksEnded: 0, queued: 2 },
    ]);
  });

  it('has a bucket for every minute, zeros without tasks', () => {
    const minutes = minuteActivity([], 60, now);
    expect(minutes).toHaveLength(60);
    expect(minutes[0]?.at).toBe('2026-11-30T09:04:00.000Z');
    expect(minutes.every((m) => m.tasksStarted === 0 && m.tasksEnded === 0 && m.queued === 0)).toBe(true);
  });
});
