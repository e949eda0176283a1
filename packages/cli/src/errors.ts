/** A command line the CLI cannot run (unknown command, missing argument, bad option): exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose help to point at, when there is one. */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A refusal from the API, with the code and message of its `{error:{code,message}}` body (and its HTTP status, when one came). */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The API could not serve it for now (`503`: shutting down, Redis unreachable): asking again later may succeed. */
  get unavailable(): boolean {
    return this.code === 'unavailable' || this.status === 503;
  }
}

/** The API could not be reached at all (refused, unknown host, reset). */
export class UnreachableError extends Error {
  constructor(url: string, cause: unknown) {
    super(`cannot reach the Mission API at ${url} (${describeCause(cause)}); is it running? (MISSION_URL)`);
    this.name = 'UnreachableError';
  }
}

/** The innermost reason of a failed network call, e.g. "connect ECONNREFUSED 127.0.0.1:1". */
export function describeCause(error: unknown): string {
  let inner = error;
  while (inner instanceof Error && inner.cause !== undefined) inner = inner.cause;
  if (inner instanceof AggregateError && inner.errors.length > 0) inner = inner.errors[0];
  return inner instanceof Error ? inner.message : String(inner);
}

/**
 * Why a request the API had taken ended before its answer, if it was cut short: the API shut down meanwhile (`503`,
 * its message says what goes on) or the connection to it was cut. Undefined for any other failure.
 */
export function cutShort(error: unknown): string | undefined {
  if (error instanceof ApiError && error.unavailable) return error.message;
  if (error instanceof UnreachableError) return 'the connection to the API was cut';
  return undefined;
}
