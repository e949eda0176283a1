import type { Redis } from './redis.ts';

/** The channel and pattern subscriptions of the connection named `name`, as Redis counts them (`sub` and `psub` of CLIENT LIST). For tests. */
export async function subscriptionsOf(admin: Redis, name: string): Promise<{ id: string; sub: number; psub: number }> {
  const line = ((await admin.client('LIST')) as string).split('\n').find((entry) => entry.includes(` name=${name} `));
  if (!line) throw new Error(`no connection named ${name}`);
  const fields = new Map(Array.from(line.matchAll(/(?:^| )(\w+)=(\S*)/g), (m) => [m[1]!, m[2]!]));
  const field = (key: string) => fields.get(key) ?? '';
  return { id: field('id'), sub: Number(field('sub')), psub: Number(field('psub')) };
}
