import { type Command, Redis } from 'ioredis';
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
    ...(options.autoPipelining ? { enableAutoPipelining: true } : {}),
  });
  if (options.commandTimeoutMs) timeCommandsOut(redis, options.commandTimeoutMs);
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

/**
 * Fails a command Redis has not answered within `ms` with ioredis's own "Command timed out" — once this process has
 * read what reached it. ioredis's `commandTimeout` decides in the loop's timers phase, before the poll phase reads
 * the socket: after this process itself stalled for longer (a loaded machine, a long synchronous step), a reply
 * already waiting to be read was taken for none, and the request answered 503 "Redis is unreachable" with Redis
 * well. Here the verdict waits for the poll phase that follows (setImmediate), where a waiting reply settles it first.
 */
function timeCommandsOut(redis: Redis, ms: number): void {
  const timed = new WeakSet<Command>();
  const sendCommand = redis.sendCommand.bind(redis);
  redis.sendCommand = (command, stream) => {
    // A command sent again (from the offline queue once connected) keeps its first deadline, as ioredis's does.
    if (!timed.has(command) && !command.isSettled) {
      timed.add(command);
      const verdict = () => setImmediate(() => command.isSettled || command.reject(new Error('Command timed out')));
      const timer = setTimeout(verdict, ms);
      const settled = () => clearTimeout(timer);
      command.promise.then(settled, settled);
    }
    return sendCommand(command, stream);
  };
}
