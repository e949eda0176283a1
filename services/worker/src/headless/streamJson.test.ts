import { describe, expect, it } from 'vitest';
import { mapStreamJsonMessage } from './streamJson.ts';

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
