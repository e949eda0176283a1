import { describe, expect, it } from 'vitest';
import { modelTokens } from './modelTokens.ts';

describe('modelTokens', () => {
  it("sums the CLI's per-model counters (modelUsage) into the API's usage keys", () => {
    expect(
      modelTokens({
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
    expect(modelTokens({ odd: null, other: 'x', model: { inputTokens: '5', outputTokens: 3 } })).toEqual({ output_tokens: 3 });
  });
});
