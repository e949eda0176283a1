import { describe, expect, it } from 'vitest';
import { LIMIT_PAUSE_WITHOUT_RESET_MS, limitPauseUntil } from './usageLimits.ts';

describe('limitPauseUntil: when a limited slot starts work again', () => {
  const now = Date.parse('2026-11-30T10:00:00Z');
  it('at the reset Claude Code reported', () => {
    expect(limitPauseUntil(now / 1000 + 7200, now).toISOString()).toBe('2026-11-30T12:00:00.000Z');
  });
  it('a minute on without a reset, or with one already past', () => {
    expect(limitPauseUntil(null, now).getTime()).toBe(now + LIMIT_PAUSE_WITHOUT_RESET_MS);
    expect(limitPauseUntil(now / 1000 - 5, now).getTime()).toBe(now + LIMIT_PAUSE_WITHOUT_RESET_MS);
  });
});
