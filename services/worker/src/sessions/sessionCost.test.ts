import { describe, expect, it } from 'vitest';
import { sessionTokens } from './sessionCost.ts';

describe('sessionTokens', () => {
  it("sums the CLI's per-model counters (cost-state modelUsage) into a task's usage keys", () => {
    expect(
      sessionTokens({
        'claude-opus-5-5': {
          inputTokens: 75,
          outputTokens: 36,
          thinkingTokens: 0,
          cacheReadInputTokens: 4,
          cacheCreationInputTokens: 0,
          costUSD: 0.00102,
        },
        'claude-haiku-4-5': { inputTokens: 20, outputTokens: 4, cacheReadInputTokens: 0, cacheCreationInputTokens: 9, costUSD: 0.0001 },
      }),
    ).toEqual({ input_tokens: 95, output_tokens: 40, cache_read_input_tokens: 4, cache_creation_input_tokens: 9 });
  });

  it('ignores what is not a counter', () => {
    expect(sessionTokens({ odd: null, other: 'x', model: { inputTokens: '5', outputTokens: 3 } })).toEqual({ output_tokens: 3 });
  });
});
