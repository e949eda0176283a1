import type { MissionEventDraft } from '@mission/contracts';
import { createLogger } from '@mission/store';
import { describe, expect, it } from 'vitest';
import type { CliSpend } from '../hooks/cliSpend.ts';
import type { HeadlessResult } from './streamJson.ts';
import { type SpendBeforeRun, TaskCost } from './taskCost.ts';

const spend = (costUsd: number, inputTokens: number): CliSpend => ({ costUsd, modelUsage: { opus: { inputTokens, costUSD: costUsd } } });
const result = (costUsd: number, inputTokens: number, limited = false): HeadlessResult => ({
  text: limited ? "You've hit your limit" : 'Done.',
  isError: limited,
  subtype: 'success',
  costUsd,
  usage: { input_tokens: 5, service_tier: 'standard' },
  modelUsage: { opus: { inputTokens, costUSD: costUsd } },
  durationMs: 100,
  numTurns: 1,
  claudeSessionId: 'c0ffee',
  limited,
});

/** A task's run whose figures go to arrays: its `usage` events and its row's running cost. */
async function runCosting(before: SpendBeforeRun, run: (cost: TaskCost) => void) {
  const events: MissionEventDraft[] = [];
  const rows: { costUsd: number; usage: Record<string, number> }[] = [];
  const cost = new TaskCost(before, {
    store: { recordRunningCost: async (_lease, costUsd, usage) => void rows.push({ costUsd, usage }) },
    output: { add: async (event) => void events.push(event) },
    lease: { id: 't1', workerId: 'w1', attempts: 1 },
    log: createLogger({ level: 'silent' }),
  });
  run(cost);
  await cost.settled();
  return { cost, told: events.map((event) => event.payload), rows };
}

const FIRST_RUN: SpendBeforeRun = { earlier: null, resumed: null };

describe('TaskCost', () => {
  it("a first run: its exports' figures until its result's, which the export at its exit does not tell again", async () => {
    const { cost, told, rows } = await runCosting(FIRST_RUN, (cost) => {
      cost.exported(spend(0.25, 10));
      cost.resultTold(result(0.5, 20));
      cost.exported(spend(0.5, 20));
    });
    expect(told).toEqual([{ costUsd: 0.25, usage: { opus: { inputTokens: 10, costUSD: 0.25 } } }]);
    expect(rows).toEqual([{ costUsd: 0.25, usage: { input_tokens: 10 } }]);
    expect(cost.atEnd(result(0.5, 20))).toEqual({ costUsd: 0.5, usage: { input_tokens: 20, service_tier: 'standard' } });
    // A run that ended without a result leaves the row as its metrics told it.
    expect(cost.atEnd(undefined)).toEqual({ costUsd: null, usage: null });
  });

  it("a run after one its worker's loss cut short (a new Claude session): the earlier run's figures, and this one's on them", async () => {
    const before = { earlier: spend(0.25, 10), resumed: null };
    const { cost, told } = await runCosting(before, (cost) => {
      cost.exported(spend(0.125, 5));
      cost.resultTold(result(0.5, 20));
    });
    expect(told).toEqual([{ costUsd: 0.375, usage: { opus: { inputTokens: 15, costUSD: 0.375 } } }]);
    expect(cost.atEnd(result(0.5, 20))).toEqual({ costUsd: 0.75, usage: { input_tokens: 30, service_tier: 'standard' } });
  });

  it('a run a usage limit stopped tells its result: the run the task goes on with counts on from it', async () => {
    const { told } = await runCosting({ earlier: spend(0.25, 10), resumed: null }, (cost) => {
      cost.exported(spend(0.125, 5));
      cost.resultTold(result(0.5, 20, true));
    });
    expect(told.map((payload) => (payload as { costUsd: number }).costUsd)).toEqual([0.375, 0.75]);
  });

  it("a run that resumes the Claude session a usage limit stopped: its result counts that session's cost again, its exports do not", async () => {
    // A run in another session cost 0.25; the limited run's session 0.5 by then (its transcript's cost-state), 0.75 in all.
    const before = { earlier: spend(0.75, 30), resumed: spend(0.5, 20) };
    const { cost, told } = await runCosting(before, (cost) => {
      // The resumed claude's metrics count from its start.
      cost.exported(spend(0.125, 5));
      // Its result counts the session's: the limited run's 0.5 with its own 0.25.
      cost.resultTold(result(0.75, 30));
      cost.exported(spend(0.25, 10));
    });
    expect(told).toEqual([{ costUsd: 0.875, usage: { opus: { inputTokens: 35, costUSD: 0.875 } } }]);
    expect(cost.atEnd(result(0.75, 30))).toEqual({ costUsd: 1, usage: { input_tokens: 40, service_tier: 'standard' } });
  });
});
