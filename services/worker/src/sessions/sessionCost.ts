import type { SessionStore } from '@mission/store';
import { modelTokens } from '../modelTokens.ts';
import type { CostReport } from '../runningSpend.ts';

/** Stores a session's running cost (the CLI's total so far) on its row, where usage reports read it. */
export async function recordSessionCost(store: SessionStore, sessionId: string, report: CostReport): Promise<void> {
  await store.recordCost(sessionId, report.costUsd, modelTokens(report.usage));
}
