import { type Config, type DatabaseHandle, openDatabase } from '@mission/store';

/**
 * Shared Postgres and Redis for a service that runs on its own; embedded PGlite and a private Redis
 * are only for the single-process `npm start`, since other processes could not reach them.
 */
export async function openSharedStorage(config: Config, service: string): Promise<{ database: DatabaseHandle; redisUrl: string }> {
  if (!config.databaseUrl || !config.redisUrl) {
    throw new Error(`${service} needs DATABASE_URL and REDIS_URL (embedded PGlite and a private Redis only exist in \`npm start\`)`);
  }
  return { database: await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir }), redisUrl: config.redisUrl };
}
