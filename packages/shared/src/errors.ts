import { sqlStateOf } from './db/database.ts';

/** Error codes shared by REST (mapped to HTTP status) and MCP (returned as isError results). */
export const httpStatusByCode = {
  bad_request: 400,
  unauthorized: 401,
  /** A slot's daily budget is spent: not retryable until midnight UTC, unlike a 429. */
  budget_exhausted: 402,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  not_available: 501,
  unavailable: 503,
  timeout: 504,
} as const;

export type ErrorCode = keyof typeof httpStatusByCode;

export class MissionError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'MissionError';
  }

  get httpStatus(): number {
    return httpStatusByCode[this.code];
  }
}

export class BadRequestError extends MissionError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('bad_request', message, details);
  }
}

export class NotFoundError extends MissionError {
  constructor(kind: string, id: string) {
    super('not_found', `${kind} '${id}' not found`);
  }
}

export class ConflictError extends MissionError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('conflict', message, details);
  }
}

export class TimeoutError extends MissionError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('timeout', message, details);
  }
}

export class UnavailableError extends MissionError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('unavailable', message, details);
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

/** The one JSON shape every error takes on the wire; never includes a stack trace. */
export function errorBody(error: MissionError): ErrorBody {
  return { error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } };
}

/** Postgres refuses NUL characters in text ("invalid byte sequence", "unsupported Unicode escape"). */
const NUL_REFUSALS = new Set(['22021', '22P05']);

/**
 * Mission's error for anything thrown, when it is the caller's fault: a MissionError as it is, and
 * input the database refused for a NUL character as a 400. Undefined for everything else (a 500).
 */
export function callerError(error: unknown): MissionError | undefined {
  if (error instanceof MissionError) return error;
  const code = sqlStateOf(error);
  if (code && NUL_REFUSALS.has(code)) return new BadRequestError('text must not contain NUL (\\u0000) characters');
  return undefined;
}
