import type { Redis } from './redis.ts';

/** What Redis says of pub/sub subscriptions, for tests and benchmarks. */

/** The channel and pattern subscriptions of the connection named `name` (`sub` and `psub` of CLIENT LIST). */
export async function subscriptionsOf(admin: Redis, name: string): Promise<{ id: string; sub: number; psub: number }> {
  const line = ((await admin.client('LIST')) as string).split('\n').find((entry) => entry.includes(` name=${name} `));
  if (!line) throw new Error(`no connection named ${name}`);
  const fields = new Map(Array.from(line.matchAll(/(?:^| )(\w+)=(\S*)/g), (m) => [m[1]!, m[2]!]));
  const field = (key: string) => fields.get(key) ?? '';
  return { id: field('id'), sub: Number(field('sub')), psub: Number(field('psub')) };
}

/** Resolves once exactly `count` connections subscribe to `channel` (PUBSUB NUMSUB, asked again at each answer). */
export async function untilSubscribers(redis: Redis, channel: string, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (((await redis.pubsub('NUMSUB', channel)) as [string, number])[1] !== count)
    if (Date.now() > deadline) throw new Error(`${channel} did not have ${count} subscriber(s) within ${timeoutMs} ms`);
}
