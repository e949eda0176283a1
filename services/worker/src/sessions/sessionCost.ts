import type { SessionStore } from '@mission/store';

/** The CLI's per-model counters (`cost-state` → `modelUsage`) and the keys a task's usage has for them. */
const TOKEN_KEYS = {
  inputTokens: 'input_tokens',
  outputTokens: 'output_tokens',
  cacheReadInputTokens: 'cache_read_input_tokens',
  cacheCreationInputTokens: 'cache_creation_input_tokens',
} as const;

/**
 * A session's tokens from the CLI's usage by model ({model: {inputTokens, outputTokens, …}}), summed over
 * models and named as a task's are (`input_tokens`, …), so sessions and tasks add up alike. Pure.
 */
export function sessionTokens(modelUsage: Record<string, unknown>): Record<string, number> {
  const tokens: Record<string, number> = {};
  for (const counters of Object.values(modelUsage)) {
    if (!counters || typeof counters !== 'object') continue;
    for (const [from, to] of Object.entries(TOKEN_KEYS)) {
      const n = (counters as Record<string, unknown>)[from];
      if (typeof n === 'number') tokens[to] = (tokens[to] ?? 0) + n;
    }
  }
  return tokens;
}

/** Stores a session's running cost (the CLI's total so far) on its row, where usage reports read it. */
export async function recordSessionCost(
  store: SessionStore,
  sessionId: string,
  report: { costUsd: number; usage: Record<string, unknown> },
): Promise<void> {
  await store.recordCost(sessionId, report.costUsd, sessionTokens(report.usage));
}
