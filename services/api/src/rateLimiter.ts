import type { Redis } from 'ioredis';

/**
 * Sliding-window counting: the count of the current fixed window plus the previous window's, weighted by how much
 * of it still lies inside the sliding window. A burst at the end of one minute and another at the start of the
 * next cannot pass twice the limit, as fixed windows let them. A `hit` counts the request (refused ones are not
 * counted); a `peek` only reads.
 *
 * Several windows in one call, in order, stopping at the first that refuses (those after it are neither read nor
 * counted): a request's failed sign-in window and its token's in one round trip. Window i: KEYS[2i-1] current,
 * KEYS[2i] previous; ARGV[4i-3..4i]: limit, window ms, ms into the current window, mode. Returns
 * {allowed, count} for each window checked. One MGET reads every window; a hit is one SET of the count it read
 * plus one (the script runs alone, so nothing came between).
 */
const SLIDING_WINDOWS = `
local counts = redis.call('MGET', unpack(KEYS))
local results = {}
for i = 1, #KEYS / 2 do
  local limit = tonumber(ARGV[i * 4 - 3])
  local window = tonumber(ARGV[i * 4 - 2])
  local elapsed = tonumber(ARGV[i * 4 - 1])
  local current = tonumber(counts[i * 2 - 1] or '0')
  local previous = tonumber(counts[i * 2] or '0')
  local weighted = previous * (window - elapsed) / window + current
  if ARGV[i * 4] == 'peek' then
    results[#results + 1] = weighted < limit and 1 or 0
    results[#results + 1] = math.floor(weighted)
    if weighted >= limit then return results end
  else
    if weighted + 1 > limit then
      results[#results + 1] = 0
      results[#results + 1] = math.floor(weighted)
      return results
    end
    redis.call('SET', KEYS[i * 2 - 1], current + 1, 'PX', window * 2)
    results[#results + 1] = 1
    results[#results + 1] = math.floor(weighted) + 1
  end
end
return results
`;

/** The script as a command of the connection: sent by its SHA (EVALSHA), loaded by ioredis the first time only. */
type SlidingWindowsCommand = (keyCount: number, ...keysAndArgs: (string | number)[]) => Promise<number[]>;

function slidingWindowsOf(redis: Redis): SlidingWindowsCommand {
  const commands = redis as unknown as { missionSlidingWindows?: SlidingWindowsCommand };
  if (!commands.missionSlidingWindows) redis.defineCommand('missionSlidingWindows', { lua: SLIDING_WINDOWS });
  return commands.missionSlidingWindows!.bind(redis);
}

export interface RateDecision {
  allowed: boolean;
  /** Requests counted in the sliding window (this one included when allowed). */
  count: number;
  /** When to try again, when refused: the end of the current window (the previous one's weight is gone then). */
  retryAfterSeconds: number;
}

/** One window to check for one key. */
export interface WindowCheck {
  limiter: SlidingWindowLimiter;
  key: string;
  mode: 'hit' | 'peek';
}

export class SlidingWindowLimiter {
  readonly run: SlidingWindowsCommand;

  constructor(
    redis: Redis,
    private readonly keyPrefix: string,
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.run = slidingWindowsOf(redis);
  }

  /** Counts one request for `key` unless that would pass the limit. */
  async hit(key: string): Promise<RateDecision> {
    const [decision] = await checkWindows([{ limiter: this, key, mode: 'hit' }]);
    return decision!;
  }

  /** Whether one more request for `key` would be within the limit, without counting it. */
  async peek(key: string): Promise<RateDecision> {
    const [decision] = await checkWindows([{ limiter: this, key, mode: 'peek' }]);
    return decision!;
  }

  /** This window's keys and arguments for `key` now, and when a refusal could try again. */
  window(key: string, mode: 'hit' | 'peek'): { keys: [string, string]; args: (string | number)[]; retryAfterSeconds: number } {
    const now = this.now();
    const window = Math.floor(now / this.windowMs);
    const elapsed = now - window * this.windowMs;
    return {
      keys: [`${this.keyPrefix}:${key}:${window}`, `${this.keyPrefix}:${key}:${window - 1}`],
      args: [this.limit, this.windowMs, elapsed, mode],
      retryAfterSeconds: Math.max(1, Math.ceil((this.windowMs - elapsed) / 1000)),
    };
  }
}

/**
 * Checks windows in one round trip (their limiters share a connection), in order, stopping at the first refusal:
 * the decisions of the windows checked, the refused one last.
 */
export async function checkWindows(checks: readonly WindowCheck[]): Promise<RateDecision[]> {
  const windows = checks.map(({ limiter, key, mode }) => limiter.window(key, mode));
  const results = await checks[0]!.limiter.run(
    windows.length * 2,
    ...windows.flatMap((window) => window.keys),
    ...windows.flatMap((window) => window.args),
  );
  return windows.slice(0, results.length / 2).map((window, i) => ({
    allowed: results[i * 2] === 1,
    count: results[i * 2 + 1]!,
    retryAfterSeconds: window.retryAfterSeconds,
  }));
}
