import { describe, expect, it } from 'vitest';
import { type CostReport, RunningSpend } from './runningSpend.ts';

function spendTold(before: ConstructorParameters<typeof RunningSpend>[0] = null) {
  const told: CostReport[] = [];
  return { spend: new RunningSpend(before, (report) => told.push(report)), told };
}

describe('RunningSpend', () => {
  it('tells each export that grew the total, and never a figure that does not grow', () => {
    const { spend, told } = spendTold();
    spend.exported({ costUsd: 0.001, modelUsage: { opus: { inputTokens: 10, costUSD: 0.001 } } });
    spend.exported({ costUsd: 0.001, modelUsage: { opus: { inputTokens: 10, costUSD: 0.001 } } });
    spend.exported({ costUsd: 0.003, modelUsage: { opus: { inputTokens: 30, costUSD: 0.003 } } });
    spend.total(0.002, { opus: { inputTokens: 20, costUSD: 0.002 } });
    expect(told).toEqual([
      { costUsd: 0.001, usage: { opus: { inputTokens: 10, costUSD: 0.001 } } },
      { costUsd: 0.003, usage: { opus: { inputTokens: 30, costUSD: 0.003 } } },
    ]);
  });

  it('tells nothing a figure known otherwise (a result line) told already', () => {
    const { spend, told } = spendTold();
    spend.known(0.002);
    spend.exported({ costUsd: 0.002, modelUsage: { opus: { inputTokens: 20, costUSD: 0.002 } } });
    spend.exported({ costUsd: 0.003, modelUsage: { opus: { inputTokens: 30, costUSD: 0.003 } } });
    spend.known(0.0025);
    spend.exported({ costUsd: 0.003, modelUsage: { opus: { inputTokens: 30, costUSD: 0.003 } } });
    expect(told).toEqual([{ costUsd: 0.003, usage: { opus: { inputTokens: 30, costUSD: 0.003 } } }]);
  });

  it("adds a resumed claude's exports to what the earlier ones cost; the CLI's own total is the session's already", () => {
    const { spend, told } = spendTold({ costUsd: 0.002, modelUsage: { opus: { inputTokens: 20, costUSD: 0.002 } } });
    spend.exported({ costUsd: 0.001, modelUsage: { opus: { inputTokens: 10, costUSD: 0.001 } } });
    // The CLI's own total, carried on across the resume, but without what the earlier claude's metrics told after its last one.
    spend.total(0.0025, { opus: { inputTokens: 25, costUSD: 0.0025 } });
    spend.total(0.004, { opus: { inputTokens: 40, costUSD: 0.004 } });
    expect(told).toEqual([
      { costUsd: 0.003, usage: { opus: { inputTokens: 30, costUSD: 0.003 } } },
      { costUsd: 0.004, usage: { opus: { inputTokens: 40, costUSD: 0.004 } } },
    ]);
  });
});
