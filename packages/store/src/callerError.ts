import { sqlStateOf } from './db/database.ts';
import { BadRequestError, MissionError, UnavailableError } from '@mission/contracts';
import { isRedisUnreachable } from './redis.ts';

/** Postgres refuses NUL characters in text ("invalid byte sequence", "unsupported Unicode escape"). */
const NUL_REFUSALS = new Set(['22021', '22P05']);

/**
 * Mission's error for anything thrown that is not a bug: a MissionError as it is, input the database
 * refused for a NUL character as a 400, Redis out of reach as a 503. Undefined for everything else (a 500).
 */
export function callerError(error: unknown): MissionError | undefined {
  if (error instanceof MissionError) return error;
  if (isRedisUnreachable(error)) return new UnavailableError('Redis is unreachable: Mission cannot take this request now; retry shortly');
  const code = sqlStateOf(error);
  if (code && NUL_REFUSALS.has(code)) return new BadRequestError('text must not contain NUL (\\u0000) characters');
  return undefined;
}
