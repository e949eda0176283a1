import { describe, expect, it } from 'vitest';
import { type HeadlessResult, mapStreamJsonMessage, taskUsage, withNextResult } from './streamJson.ts';

/** Lines claude 2.1.331 printed (`-p --output-format stream-json --verbose`) against the stub's limit errors, cut to what matters. */
const subscriberLimit = {
  event: {
    type: 'rate_limit_event',
    rate_limit_info: { status: 'rejected', resetsAt: 1796040936, rateLimitType: 'five_hour', isUsingOverage: false },
    session_id: 's',
  },
  result: {
    type: 'result',
    subtype: 'success',
    is_error: true,
    api_error_status: 429,
    api_error_type: 'rate_limit_error',
    api_error: 'usage_limit_reached',
    result: "You've hit your 5-hour limit · resets 12:15pm (UTC)",
    num_turns: 1,
    total_cost_usd: 0,
    session_id: 's',
  },
};
const apiKey429 = {
  type: 'result',
  subtype: 'success',
  is_error: true,
  api_error_status: 429,
  api_error_type: 'rate_limit_error',
  result: 'API Error: Request rejected (429) · Number of request tokens has exceeded your per-minute rate limit',
  session_id: 's',
};

describe('stream-json: usage and rate limits', () => {
  it("a subscriber's limit: the rejecting rate_limit_event gives the reset, the result is a limit", () => {
    expect(mapStreamJsonMessage(subscriberLimit.event)).toEqual({ events: [], limitRejected: { resetsAt: 1796040936 } });
    expect(mapStreamJsonMessage(subscriberLimit.result).result).toMatchObject({
      isError: true,
      limited: true,
      text: "You've hit your 5-hour limit · resets 12:15pm (UTC)",
    });
  });

  it("an API key's 429 is a limit without a reset; a rate_limit_event that allowed the request is nothing", () => {
    expect(mapStreamJsonMessage(apiKey429).result).toMatchObject({ isError: true, limited: true });
    expect(mapStreamJsonMessage({ ...subscriberLimit.event, rate_limit_info: { status: 'allowed_warning', resetsAt: 1 } })).toEqual({
      events: [],
    });
  });

  it('other failures and successes are no limit; the result event carries no `limited`', () => {
    const billing = {
      type: 'result',
      subtype: 'success',
      is_error: true,
      api_error_status: 400,
      result: 'Credit balance is too low',
      session_id: 's',
    };
    expect(mapStreamJsonMessage(billing).result?.limited).toBe(false);
    const ok = mapStreamJsonMessage({ type: 'result', subtype: 'success', is_error: false, result: 'hi', session_id: 's' });
    expect(ok.result?.limited).toBe(false);
    expect(ok.events[0]?.payload).not.toHaveProperty('limited');
  });
});

/** The two result lines of a run whose background command ended after its turn (claude 2.1.332 against the stub), cut. */
const turnResult = (over: Record<string, unknown>): HeadlessResult =>
  mapStreamJsonMessage({ type: 'result', subtype: 'success', is_error: false, session_id: 's', ...over }).result!;

describe('stream-json: a run that goes on after its result (a background command ended: the CLI tells Claude in a turn of its own)', () => {
  const first = turnResult({
    result: 'It runs in the background.',
    total_cost_usd: 0.00068,
    duration_ms: 502,
    num_turns: 2,
    usage: {
      input_tokens: 50,
      output_tokens: 24,
      service_tier: 'standard',
      cache_creation: { ephemeral_5m_input_tokens: 3 },
      iterations: [],
    },
  });
  const second = turnResult({
    result: 'OK',
    total_cost_usd: 0.00102,
    duration_ms: 106,
    num_turns: 1,
    usage: {
      input_tokens: 25,
      output_tokens: 12,
      service_tier: 'standard',
      cache_creation: { ephemeral_5m_input_tokens: 1 },
      iterations: [],
    },
  });

  it("ends with the last result's text and cost (the CLI's cost counts the whole run), and every turn's tokens, turns and time", () => {
    expect(withNextResult(first, second)).toEqual({
      ...second,
      usage: {
        input_tokens: 75,
        output_tokens: 36,
        service_tier: 'standard',
        cache_creation: { ephemeral_5m_input_tokens: 4 },
        iterations: [],
      },
      durationMs: 608,
      numTurns: 3,
    });
  });

  it("a task keeps its results' usage, with the whole run's token counts where the CLI tells them (modelUsage: every model's, subagents' too)", () => {
    expect(taskUsage(withNextResult(first, second))).toEqual(withNextResult(first, second).usage);
    const counted = turnResult({
      result: 'OK',
      usage: { input_tokens: 25, output_tokens: 12, service_tier: 'standard' },
      modelUsage: {
        'claude-opus-5-5': { inputTokens: 125, outputTokens: 60, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, costUSD: 0.0017 },
        'claude-haiku-4-5': { inputTokens: 10, outputTokens: 2, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, costUSD: 0.0001 },
      },
    });
    // The later result's counts are the run's so far: they replace the earlier's, not add to them.
    expect(
      taskUsage(withNextResult({ ...first, modelUsage: { 'claude-opus-5-5': { inputTokens: 50, outputTokens: 24 } } }, counted)),
    ).toEqual({
      input_tokens: 135,
      output_tokens: 62,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
      service_tier: 'standard',
      cache_creation: { ephemeral_5m_input_tokens: 3 },
      iterations: [],
    });
    // The result event keeps the CLI's own usage.
    expect(
      mapStreamJsonMessage({ type: 'result', subtype: 'success', result: 'OK', usage: { input_tokens: 25 }, modelUsage: {} }).events[0]
        ?.payload,
    ).toMatchObject({ usage: { input_tokens: 25 } });
  });

  it("a first result is the run's as it is; a figure only one result has is kept", () => {
    expect(withNextResult(undefined, first)).toBe(first);
    const bare = turnResult({ result: 'OK', total_cost_usd: 0.00102 });
    expect(withNextResult(first, bare)).toMatchObject({ text: 'OK', costUsd: 0.00102, durationMs: 502, numTurns: 2, usage: first.usage });
  });
});
