import type { SessionStore } from '@mission/store';
import { modelTokens } from '../modelTokens.ts';

/** Stores a session's running cost (the CLI's total so far) on its row, where usage reports read it. */
export async function recordSessionCost(
  store: SessionStore,
  sessionId: string,
  report: { costUsd: number; usage: Record<string, unknown> },
): Promise<void> {
  await store.recordCost(sessionId, report.costUsd, modelTokens(report.usage));
}
