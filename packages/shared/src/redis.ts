import { Redis } from 'ioredis';

export { Redis };

/**
 * A Redis connection as BullMQ wants it (no per-command retry limit: commands wait for a reconnect
 * instead of failing), with a short, capped reconnect back-off.
 */
export function createRedis(url: string, name: string): Redis {
  return new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
}
