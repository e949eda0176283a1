import { isRecord } from '@mission/contracts';

/** The CLI's per-model counters (`modelUsage`) and the keys a task's and a session's usage have for them. */
const TOKEN_KEYS = {
  inputTokens: 'input_tokens',
  outputTokens: 'output_tokens',
  cacheReadInputTokens: 'cache_read_input_tokens',
  cacheCreationInputTokens: 'cache_creation_input_tokens',
} as const;

/**
 * Tokens from the CLI's usage by model ({model: {inputTokens, outputTokens, …}}: a session's `cost-state` record, a
 * task's `result` line), summed over models and named as the API names them (`input_tokens`, …), so sessions and
 * tasks add up alike. The CLI counts every request of the run there: the conversation's, its subagents', its own. Pure.
 */
export function modelTokens(modelUsage: Record<string, unknown>): Record<string, number> {
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

/**
 * Two counts of usage together: numbers added at every level (two turns' `usage`, with its
 * `cache_creation.ephemeral_5m_input_tokens`; two runs' `modelUsage`, model by model), the rest the later's. Pure.
 */
export function addUsage(earlier: Record<string, unknown>, later: Record<string, unknown>): Record<string, unknown> {
  const sum: Record<string, unknown> = { ...earlier };
  for (const [key, value] of Object.entries(later)) {
    const before = earlier[key];
    sum[key] =
      typeof value === 'number' && typeof before === 'number'
        ? before + value
        : isRecord(value) && isRecord(before)
          ? addUsage(before, value)
          : value;
  }
  return sum;
}
