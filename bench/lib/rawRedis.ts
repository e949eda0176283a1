import { Redis } from 'ioredis';

/**
 * A Redis connection with the options of Mission's `createRedis` (@mission/store), for the processes the bench forks
 * (lib/forkScript.ts): they load ioredis alone, not Mission's modules.
 */
export function rawRedis(url: string, name: string): Redis {
  return new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
}
