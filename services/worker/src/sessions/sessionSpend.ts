import type { MissionEventDraft } from '@mission/contracts';
import { addSpend, type CliSpend } from '../hooks/cliSpend.ts';

/**
 * A session's running cost, whichever way it is followed: what its claude's metrics exports tell while it runs
 * (hooks/cliSpend.ts), added to what its earlier claudes cost (a resumed claude counts from zero), and the CLI's own
 * total as it exits (its transcript's `cost-state`, which carries on across resumes). Each time the total grows it is
 * told as a `usage` event; it never falls: a claude killed before it wrote its total had cost what its metrics told.
 */
export class SessionSpend {
  private lastCost: number | null;

  constructor(
    /** What its earlier claudes cost, as the session's last `usage` event told (null when none did, or it is new). */
    private readonly before: CliSpend | null,
    private readonly emit: (event: MissionEventDraft) => void,
  ) {
    this.lastCost = before?.costUsd ?? null;
  }

  /** An export of its claude's metrics: what this claude has cost since it started. */
  exported(spend: CliSpend): void {
    const total = this.before ? addSpend(this.before, spend) : spend;
    this.total(total.costUsd, total.modelUsage);
  }

  /** The session's cost so far and its tokens by model (the CLI's `modelUsage`), as the CLI told it. */
  total(costUsd: number, usage: Record<string, unknown>): void {
    if (this.lastCost !== null && costUsd <= this.lastCost) return;
    this.lastCost = costUsd;
    this.emit({ type: 'usage', payload: { costUsd, usage } });
  }
}
