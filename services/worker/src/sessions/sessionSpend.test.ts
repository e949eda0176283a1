import type { MissionEventDraft } from '@mission/contracts';
import { describe, expect, it } from 'vitest';
import { SessionSpend } from './sessionSpend.ts';

function spendTold(before: ConstructorParameters<typeof SessionSpend>[0] = null) {
  const told: MissionEventDraft[] = [];
  return { spend: new SessionSpend(before, (event) => told.push(event)), told };
}

describe('SessionSpend', () => {
  it('tells each export that grew the total as a usage event, and never a figure that does not grow', () => {
    const { spend, told } = spendTold();
    spend.exported({ costUsd: 0.001, modelUsage: { opus: { inputTokens: 10, costUSD: 0.001 } } });
    spend.exported({ costUsd: 0.001, modelUsage: { opus: { inputTokens: 10, costUSD: 0.001 } } });
    spend.exported({ costUsd: 0.003, modelUsage: { opus: { inputTokens: 30, costUSD: 0.003 } } });
    spend.total(0.002, { opus: { inputTokens: 20, costUSD: 0.002 } });
    expect(told).toEqual([
      { type: 'usage', payload: { costUsd: 0.001, usage: { opus: { inputTokens: 10, costUSD: 0.001 } } } },
      { type: 'usage', payload: { costUsd: 0.003, usage: { opus: { inputTokens: 30, costUSD: 0.003 } } } },
    ]);
  });

  it("adds a resumed claude's exports to what the earlier ones cost; the CLI's own total is the session's already", () => {
    const { spend, told } = spendTold({ costUsd: 0.002, modelUsage: { opus: { inputTokens: 20, costUSD: 0.002 } } });
    spend.exported({ costUsd: 0.001, modelUsage: { opus: { inputTokens: 10, costUSD: 0.001 } } });
    // The CLI's own total, carried on across the resume, but without what the earlier claude's metrics told after its last one.
    spend.total(0.0025, { opus: { inputTokens: 25, costUSD: 0.0025 } });
    spend.total(0.004, { opus: { inputTokens: 40, costUSD: 0.004 } });
    expect(told.map((event) => event.type === 'usage' && event.payload)).toEqual([
      { costUsd: 0.003, usage: { opus: { inputTokens: 30, costUSD: 0.003 } } },
      { costUsd: 0.004, usage: { opus: { inputTokens: 40, costUSD: 0.004 } } },
    ]);
  });
});
