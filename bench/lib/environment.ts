import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { waitUntil } from '../../tests/support/processes.ts';

/** Benchmarks use the same services as the tests: REDIS_URL / DATABASE_URL, else the local ones. */
export const benchRedisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The stand-in for `claude -p --output-format stream-json` that the task benches run: it reads its prompt and answers at once. */
export const noopAgent = fileURLToPath(new URL('../noop-agent.sh', import.meta.url));

export const benchPrefix = (name: string) => `bench-${name}-${randomBytes(3).toString('hex')}`;

/** Postgres backends flush their statistics within 10 s of going idle (or at disconnect). */
const PG_STATS_SETTLE_MS = 11_000;

/** A scratch database, its backends and its transaction count, dropped afterwards. */
export interface ScratchDatabase {
  url: string;
  name: string;
  /** Pids of the Postgres backends serving it now. */
  backends(): Promise<number[]>;
  /** Transactions committed or rolled back in it, once every running backend has reported them (waits 11 s). */
  settledTransactions(): Promise<number>;
  /**
   * The same once its clients are gone, without the wait: a backend reports its statistics as it disconnects, before
   * it leaves pg_stat_activity, so the count is whole once the database has no backend left.
   */
  transactionsAfterStop(): Promise<number>;
  drop(): Promise<void>;
}

/** A scratch database (Mission migrates it on open) dropped afterwards. */
export async function scratchDatabase(settings: Record<string, string> = {}): Promise<ScratchDatabase> {
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
  const backends = async () => (await admin`select pid from pg_stat_activity where datname = ${name}`).map((row) => Number(row.pid));
  const transactions = async () =>
    Number((await admin`select xact_commit + xact_rollback as n from pg_stat_database where datname = ${name}`)[0]!.n);
  return {
    url: url.toString(),
    name,
    backends,
    async settledTransactions() {
      await new Promise((resolve) => setTimeout(resolve, PG_STATS_SETTLE_MS));
      return transactions();
    },
    async transactionsAfterStop() {
      await waitUntil(async () => (await backends()).length === 0, 30_000, `the backends of ${name} to disconnect`, 50);
      return transactions();
    },
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
