import { describe, expect, it } from 'vitest';
import { budgetRefusal } from './budget.ts';
import { utcDay } from './utcDay.ts';

describe('utcDay', () => {
  it('is the UTC calendar day, whatever the local time zone, ending at the next midnight UTC', () => {
    expect(utcDay(new Date('2026-11-25T23:59:59.999Z'))).toEqual({
      date: '2026-11-25',
      start: new Date('2026-11-25T00:00:00.000Z'),
      end: new Date('2026-11-26T00:00:00.000Z'),
    });
    expect(utcDay(new Date('2026-11-26T00:00:00.000Z')).date).toBe('2026-11-26');
    expect(utcDay(new Date('2026-12-31T12:00:00+10:00')).date).toBe('2026-12-31');
    expect(utcDay(new Date('2026-12-31T20:00:00-05:00')).end).toEqual(new Date('2027-01-02T00:00:00.000Z'));
  });
});

describe('budgetRefusal', () => {
  const day = utcDay(new Date('2026-11-25T15:00:00Z'));

  it('lets work through while some budget is left', () => {
    expect(budgetRefusal('ci', 5, 0, day)).toBeUndefined();
    expect(budgetRefusal('ci', 5, 4.999999, day)).toBeUndefined();
  });

  it('refuses once the spend reaches the budget, naming the slot, the budget, the spend and the reset', () => {
    const refusal = budgetRefusal('ci', 5, 5.0123456789, day);
    expect(refusal?.code).toBe('budget_exhausted');
    expect(refusal?.httpStatus).toBe(402);
    expect(refusal?.message).toBe(
      "slot 'ci' has spent its daily budget: $5.012346 of $5 today (UTC 2026-11-25); new tasks and sessions on it are refused until the budget resets at 2026-11-26T00:00:00.000Z",
    );
    expect(refusal?.details).toEqual({ slot: 'ci', dailyBudgetUsd: 5, spentTodayUsd: 5.0123456789, resetsAt: '2026-11-26T00:00:00.000Z' });
    expect(budgetRefusal('ci', 5, 5, day)?.code).toBe('budget_exhausted');
  });
});
