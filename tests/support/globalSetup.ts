import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import postgres from 'postgres';
import { openDatabase } from '@mission/store';

/**
 * Databases of a run are named after the pid of its vitest process, so two runs on one machine (CI and a
 * developer, say) never drop each other's; leftovers of runs that died are dropped at the next start.
 */
const RUN = `mission_r${process.pid}`;
const TEMPLATE_DATABASE = `${RUN}_template`;

const LOCAL_REDIS = 'redis://127.0.0.1:6379';
const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Finds Redis and Postgres for the run — REDIS_URL / DATABASE_URL; when unset, containers started
 * with testcontainers if a Docker engine is there, else the local services on their standard ports —
 * and prepares a migrated template database that each test file clones, so files never see each
 * other's rows.
 */
export default async function setup(project: TestProject) {
  // The tests run `mission` and `mission-mcp` as users do: the JavaScript built from this checkout's sources.
  execFileSync(process.execPath, [new URL('../../packages/cli/build.mjs', import.meta.url).pathname], { stdio: 'inherit' });
  const stops: (() => Promise<unknown>)[] = [];
  const redisUrl = process.env.REDIS_URL ?? (await fromContainer('redis:7-alpine', 6379, (host, port) => `redis://${host}:${port}`, stops));
  const adminUrl =
    process.env.DATABASE_URL ??
    (await fromContainer('postgres:15-alpine', 5432, (host, port) => `postgres://postgres:postgres@${host}:${port}/postgres`, stops, {
      POSTGRES_PASSWORD: 'postgres',
    }));

  const admin = postgres(adminUrl, {
    max: 1,
    onnotice: () => {
      /* notices ("does not exist, skipping") are no news */
    },
  });
  await dropDatabases(admin, (name) => !isAlive(Number(/^mission_r(\d+)_/.exec(name)?.[1])));
  await admin.unsafe(`create database ${TEMPLATE_DATABASE}`);
  const template = await openDatabase({ url: withDatabase(adminUrl, TEMPLATE_DATABASE), dataDir: '' });
  await template.close();

  project.provide('redisUrl', redisUrl);
  project.provide('adminDatabaseUrl', adminUrl);
  project.provide('templateDatabase', TEMPLATE_DATABASE);

  return async () => {
    await dropDatabases(admin, (name) => name.startsWith(`${RUN}_`));
    await admin.end();
    for (const stop of stops) await stop();
  };
}

async function dropDatabases(admin: postgres.Sql, which: (name: string) => boolean): Promise<void> {
  const rows = await admin<
    { datname: string }[]
  >`select datname from pg_database where datname like 'mission\_r%' or datname like 'mission\_t%'`;
  for (const { datname } of rows) if (which(datname)) await admin.unsafe(`drop database if exists "${datname}" with (force)`);
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A container of `image` when a Docker engine is there, else the local service. */
async function fromContainer(
  image: string,
  port: number,
  toUrl: (host: string, port: number) => string,
  stops: (() => Promise<unknown>)[],
  env: Record<string, string> = {},
): Promise<string> {
  if (!existsSync('/var/run/docker.sock')) return image.startsWith('redis') ? LOCAL_REDIS : LOCAL_POSTGRES;
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer(image)
    .withEnvironment(env)
    .withExposedPorts(port)
    .withWaitStrategy(Wait.forListeningPorts())
    .start();
  stops.push(() => container.stop());
  return toUrl(container.getHost(), container.getMappedPort(port));
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    adminDatabaseUrl: string;
    templateDatabase: string;
  }
}
