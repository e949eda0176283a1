import type { Redis } from 'ioredis';

/**
 * Sliding-window counting in one Redis round trip: the count of the current fixed window plus the
 * previous window's, weighted by how much of it still lies inside the sliding window. A burst at the
 * end of one minute and another at the start of the next cannot pass twice the limit, as fixed
 * windows let them. `hit` counts the request (refused ones are not counted); `peek` only reads.
 *
 * KEYS[1] current window, KEYS[2] previous window; ARGV: limit, window ms, ms into the current window, mode.
 */
const SLIDING_WINDOW = `
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local elapsed = tonumber(ARGV[3])
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local weighted = previous * (window - elapsed) / window + current
if ARGV[4] == 'peek' then return {weighted < limit and 1 or 0, math.floor(weighted)} end
if weighted + 1 > limit then return {0, math.floor(weighted)} end
redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], window * 2)
return {1, math.floor(weighted) + 1}
`;

export interface RateDecision {
  allowed: boolean;
  /** Requests counted in the sliding window (this one included when allowed). */
  count: number;
  /** When to try again, when refused: the end of the current window (the previous one's weight is gone then). */
  retryAfterSeconds: number;
}

export class SlidingWindowLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request for `key` unless that would pass the limit. */
  hit(key: string): Promise<RateDecision> {
    return this.run(key, 'hit');
  }

  /** Whether one more request for `key` would be within the limit, without counting it. */
  peek(key: string): Promise<RateDecision> {
    return this.run(key, 'peek');
  }

  private async run(key: string, mode: 'hit' | 'peek'): Promise<RateDecision> {
    const now = this.now();
    const window = Math.floor(now / this.windowMs);
    const elapsed = now - window * this.windowMs;
    const keys = [`${this.keyPrefix}:${key}:${window}`, `${this.keyPrefix}:${key}:${window - 1}`];
    const [allowed, count] = (await this.redis.eval(SLIDING_WINDOW, 2, ...keys, this.limit, this.windowMs, elapsed, mode)) as [
      number,
      number,
    ];
    return { allowed: allowed === 1, count, retryAfterSeconds: Math.max(1, Math.ceil((this.windowMs - elapsed) / 1000)) };
  }
}
