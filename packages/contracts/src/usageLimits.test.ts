import { describe, expect, it } from 'vitest';
import { LIMIT_PAUSE_WITHOUT_RESET_MS, limitPauseUntil, resetFromLimitText } from './usageLimits.ts';

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

describe('resetFromLimitText: the reset a limit screen names, when the CLI recorded none', () => {
  const now = Date.parse('2026-11-30T13:10:20Z');
  const at = (text: string) => {
    const seconds = resetFromLimitText(text, now);
    return seconds === null ? null : new Date(seconds * 1000).toISOString();
  };
  it("the next time the zone's clock shows it: later today, or tomorrow once past", () => {
    expect(at("You've hit your 5-hour limit · resets 5:34pm (UTC)")).toBe('2026-11-30T17:34:00.000Z');
    expect(at("You've hit your 5-hour limit · resets 5am (UTC)")).toBe('2026-12-01T05:00:00.000Z');
    expect(at('Usage limit reached · limit resets 12:30am')).toBe('2026-12-01T00:30:00.000Z');
  });
  it('the minute shown is the reset even when a few seconds have gone by (the text rounds down)', () => {
    expect(at("You've hit your 5-hour limit · resets 1:10pm (UTC)")).toBe('2026-11-30T13:10:00.000Z');
  });
  it("a named zone's clock, summer time included", () => {
    expect(at('resets 3pm (Europe/Paris)')).toBe('2026-11-30T14:00:00.000Z');
    expect(resetFromLimitText('resets 3pm (Europe/Paris)', Date.parse('2026-07-01T08:00:00Z'))).toBe(
      Date.parse('2026-07-01T13:00:00Z') / 1000,
    );
  });
  it('nothing without a time, or in a zone the runtime does not know', () => {
    expect(at("You've hit your weekly limit")).toBeNull();
    expect(at('resets 3pm (Mars/Olympus)')).toBeNull();
  });
});
