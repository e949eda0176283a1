import { type DestinationStream, pino, type Logger } from 'pino';
import { logText } from '@mission/contracts';

export type { Logger };

/** Query parameters that carry credentials (the WebSocket attach's `access_token`, signed links' tokens). */
const SECRET_QUERY = /([?&](?:access_token|token)=)[^&#]*/gi;

/** The password of a URL's user information (`postgres://user:password@host`, `redis://:password@host`). */
const URL_PASSWORD = /^([a-z][\w+.-]*:\/\/[^:/@]*:)[^@/]*@/i;

/** A URL as logged: credentials in its query and its password are replaced. */
export const redactUrl = (url: string): string => url.replace(SECRET_QUERY, '$1[redacted]').replace(URL_PASSWORD, '$1[redacted]@');

/** Fields that hold credentials wherever they appear in a log line: replaced, never written out. */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'cookie',
  'token',
  '*.token',
  '*.authorization',
  '*.accessToken',
  '*.access_token',
];

interface LoggedRequest {
  method?: string;
  url?: string;
  headers?: Record<string, unknown>;
  ip?: string;
  socket?: { remoteAddress?: string };
}

/** Requests as logged: method, URL without credentials, client address; no headers (they hold tokens and cookies). */
function serializeRequest(req: LoggedRequest): Record<string, unknown> {
  return {
    method: req.method,
    url: req.url === undefined ? undefined : redactUrl(req.url),
    remoteAddress: req.ip ?? req.socket?.remoteAddress,
  };
}

/**
 * Mission's logger, credentials redacted: JSON lines (pino) when stdout is a pipe or a file, for log collectors;
 * lines for people when it is a terminal (colored unless NO_COLOR is set). `destination` overrides both.
 */
export function createLogger(options: { level: string; name?: string }, destination?: DestinationStream): Logger {
  const settings = {
    level: options.level,
    ...(options.name ? { name: options.name } : {}),
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { req: serializeRequest },
  };
  if (destination) return pino(settings, destination);
  if (!process.stdout.isTTY) return pino(settings);
  const color = !process.env.NO_COLOR;
  return pino(settings, {
    write: (line: string) => void process.stdout.write(`${logText(JSON.parse(line) as Record<string, unknown>, color)}\n`),
  });
}
