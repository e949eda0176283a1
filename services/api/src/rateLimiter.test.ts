import { randomBytes } from 'node:crypto';
import { createRedis } from '@mission/store';
import { afterAll, describe, expect, it } from 'vitest';
import { checkWindows, SlidingWindowLimiter } from './rateLimiter.ts';

const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', 'rate-limiter-test');
const prefix = `t${randomBytes(5).toString('hex')}:ratelimit`;

describe('sliding-window rate limits (real Redis)', () => {
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('lets no more than the limit through across a window boundary (a fixed window would let twice as many)', async () => {
    let now = 60_000 * 1_000 + 59_000; // one second before a boundary
    const limiter = new SlidingWindowLimiter(redis, prefix, 10, 60_000, () => now);
    const first = await Promise.all(Array.from({ length: 12 }, () => limiter.hit('boundary')));
    expect(first.filter((d) => d.allowed)).toHaveLength(10);
    now += 2_000; // one second after it
    const second = await Promise.all(Array.from({ length: 10 }, () => limiter.hit('boundary')));
    expect(second.filter((d) => d.allowed)).toHaveLength(0);
    expect(second[0]).toMatchObject({ allowed: false, retryAfterSeconds: 59 });
    now += 30_000; // half the previous window has slid out: room for half of it
    const third = await Promise.all(Array.from({ length: 10 }, () => limiter.hit('boundary')));
    expect(third.filter((d) => d.allowed).length).toBeGreaterThanOrEqual(4);
    expect(third.filter((d) => d.allowed).length).toBeLessThanOrEqual(5);
  });

  it('peek reads without counting; keys are separate', async () => {
    const limiter = new SlidingWindowLimiter(redis, prefix, 2, 60_000, () => 5_000);
    expect(await limiter.peek('a')).toMatchObject({ allowed: true, count: 0 });
    await limiter.hit('a');
    await limiter.hit('a');
    expect(await limiter.peek('a')).toMatchObject({ allowed: false, count: 2 });
    expect(await limiter.peek('b')).toMatchObject({ allowed: true, count: 0 });
  });

  it('checks several windows in one call, in order, stopping at the first refusal: nothing after it is counted', async () => {
    const failures = new SlidingWindowLimiter(redis, `${prefix}:failures`, 1, 60_000, () => 5_000);
    const requests = new SlidingWindowLimiter(redis, `${prefix}:requests`, 5, 60_000, () => 5_000);
    const both = () =>
      checkWindows([
        { limiter: failures, key: 'ip', mode: 'peek' },
        { limiter: requests, key: 'token', mode: 'hit' },
      ]);
    expect(await both()).toMatchObject([
      { allowed: true, count: 0 },
      { allowed: true, count: 1 },
    ]);
    await failures.hit('ip');
    expect(await both()).toMatchObject([{ allowed: false, count: 1, retryAfterSeconds: 55 }]);
    expect(await requests.peek('token')).toMatchObject({ allowed: true, count: 1 });
  });
});
