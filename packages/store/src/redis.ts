import { Redis } from 'ioredis';
import type { Logger } from './logger.ts';
import { SubscriberClosedError } from './patternSubscription.ts';

export { Redis };

/** While Redis stays unreachable, a connection logs that at most this often. */
const ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * How long a command on a request path (the API's connection) may take, Redis down included: then it
 * fails and the request answers 503 instead of hanging for as long as the outage lasts.
 */
export const REQUEST_COMMAND_TIMEOUT_MS = 1_500;

/** ioredis's own words for a command that could not reach Redis (timed out, or the connection is gone). */
const UNREACHABLE_MESSAGES = [
  'Command timed out',
  'Connection is closed.',
  "Stream isn't writeable",
  'Reached the max retries per request limit',
];

/** True when an error means Redis could not be reached, as opposed to a command Redis refused. */
export function isRedisUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // Asked of a subscriber closed for good (the process is stopping): as ioredis's own "Connection is closed.".
  if (error instanceof SubscriberClosedError) return true;
  const code = (error as NodeJS.ErrnoException).code;
  return UNREACHABLE_MESSAGES.some((message) => error.message.startsWith(message)) || code === 'ECONNREFUSED' || code === 'ECONNRESET';
}

/**
 * A Redis connection, with a short, capped reconnect back-off. By default as BullMQ's workers want it
 * (no per-command retry limit: commands wait for a reconnect instead of failing); with
 * `commandTimeoutMs`, for request paths, a command fails after that long — Redis down included.
 * With `autoPipelining`, the commands issued in one turn of the event loop (by every caller at once) go out
 * together in one write, in the order issued: a connection many concurrent callers share (the worker's
 * publishes) makes one system call where it made one per command. Not for a connection that blocks (BZPOPMIN…)
 * or subscribes, nor for one with `commandTimeoutMs`: with Redis gone, an API request on an auto-pipelined
 * connection waited out two command timeouts before its 503 (tests/faults.test.ts), against one without.
 * Connection errors go to the logger (throttled), never to stderr as "unhandled error event".
 */
export function createRedis(
  url: string,
  name: string,
  logger?: Logger,
  options: { commandTimeoutMs?: number; autoPipelining?: boolean } = {},
): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    ...(options.commandTimeoutMs ? { commandTimeout: options.commandTimeoutMs } : {}),
    ...(options.autoPipelining ? { enableAutoPipelining: true } : {}),
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
