import { Redis } from 'ioredis';
import type { Logger } from './logger.ts';

export { Redis };

/** While Redis stays unreachable, a connection logs that at most this often. */
const ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * A Redis connection as BullMQ wants it (no per-command retry limit: commands wait for a reconnect
 * instead of failing), with a short, capped reconnect back-off. Connection errors go to the logger
 * (throttled), never to stderr as "unhandled error event".
 */
export function createRedis(url: string, name: string, logger?: Logger): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let lastLogged = 0;
  redis.on('error', (error: Error) => {
    if (!logger || Date.now() - lastLogged < ERROR_LOG_INTERVAL_MS) return;
    lastLogged = Date.now();
    logger.warn({ err: error, connection: name }, 'Redis connection error; reconnecting');
  });
  redis.on('ready', () => {
    if (lastLogged === 0) return;
    lastLogged = 0;
    logger?.info({ connection: name }, 'Redis connection back');
  });
  return redis;
}
