import type { EventPayload } from '@mission/contracts';
import type { EventLog } from '@mission/store';
import { addSpend, type CliSpend, spendOfUsage } from './hooks/cliSpend.ts';

/** An agent's cost so far and its tokens by model (the CLI's `modelUsage`): a `usage` event's payload. */
export type CostReport = EventPayload<'usage'>;

/**
 * What an agent had cost as its last `usage` event told (a resumed session's earlier claudes, a task's earlier runs):
 * what the next claude's figures are added to. Null when none told.
 */
export async function lastToldSpend(events: Pick<EventLog, 'latestOf'>, ownerId: string): Promise<CliSpend | null> {
  const last = await events.latestOf(ownerId, 'usage');
  return last ? spendOfUsage(last.payload) : null;
}

/**
 * An agent's running cost (a session's, whichever way it is followed; a task's run): what its claude's metrics
 * exports tell while it runs (hooks/cliSpend.ts), added to what its earlier claudes cost (a resumed session's claude
 * counts from zero), and the CLI's own total as it exits (a session's transcript's `cost-state`, which carries on
 * across resumes). Each time the total grows it is told; it never falls: a claude killed before it wrote its total
 * had cost what its metrics told.
 */
export class RunningSpend {
  private lastCost: number | null;

  constructor(
    /** What its earlier claudes cost, as a session's last `usage` event told (null when none did, or it is new). */
    private readonly before: CliSpend | null,
    private readonly told: (report: CostReport) => void,
  ) {
    this.lastCost = before?.costUsd ?? null;
  }

  /** An export of its claude's metrics: what this claude has cost since it started. */
  exported(spend: CliSpend): void {
    const total = this.before ? addSpend(this.before, spend) : spend;
    this.total(total.costUsd, total.modelUsage);
  }

  /** A figure told otherwise (a task's result line, which counts the run so far): the next ones are told only above it. */
  known(costUsd: number): void {
    if (this.lastCost === null || costUsd > this.lastCost) this.lastCost = costUsd;
  }

  /** The agent's cost so far and its tokens by model (the CLI's `modelUsage`), as the CLI told it. */
  total(costUsd: number, usage: Record<string, unknown>): void {
    if (this.lastCost !== null && costUsd <= this.lastCost) return;
    this.lastCost = costUsd;
    this.told({ costUsd, usage });
  }
}
