import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

/** Benchmarks use the same services as the tests: REDIS_URL / DATABASE_URL, else the local ones. */
export const benchRedisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export const benchPrefix = (name: string) => `bench-${name}-${randomBytes(3).toString('hex')}`;

/** A scratch database (Mission migrates it on open) dropped afterwards. */
export async function scratchDatabase(
  settings: Record<string, string> = {},
): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `mission_bench_${randomBytes(4).toString('hex')}`;
  const admin = postgres(adminUrl, {
    max: 1,
    onnotice: () => {
      /* notices ("does not exist, skipping") are no news */
    },
  });
  await admin.unsafe(`create database ${name}`);
  for (const [setting, value] of Object.entries(settings)) await admin.unsafe(`alter database ${name} set ${setting} = '${value}'`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
