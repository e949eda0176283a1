import type { Task } from './schemas/tasks.ts';

/** Error codes shared by REST (mapped to HTTP status) and MCP (returned as isError results). */
export const httpStatusByCode = {
  bad_request: 400,
  unauthorized: 401,
  /** A slot's daily budget is spent: not retryable until midnight UTC, unlike a 429. */
  budget_exhausted: 402,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  /** `ask` waited for a task that was cancelled. */
  task_cancelled: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  not_available: 501,
  /** `ask` waited for a task that failed: Mission ran it, Claude Code (or the model behind it) did not succeed. */
  task_failed: 502,
  /** A session's turn ended without a reply: Claude Code's request to the model failed (the session is back at its prompt). */
  turn_failed: 502,
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

/**
 * `ask` (`POST /v1/ask`, `mission_ask`) waited for a task that ended without an answer: failed → 502 task_failed,
 * timed_out → 504 timeout, cancelled → 409 task_cancelled; the task is in `details.task`. When the task is an
 * earlier one, replayed for its Idempotency-Key, the message says so and how to run the prompt again.
 */
export class TaskEndedError extends MissionError {
  constructor(task: Task, replayedKey?: string) {
    const replay = replayedKey ? ` (the task of Idempotency-Key '${replayedKey}', replayed: send a new key to run the prompt again)` : '';
    const outcomes = {
      failed: ['task_failed', `task ${task.id} failed: ${task.error ?? 'no reason recorded'}`],
      timed_out: ['timeout', `task ${task.id} timed out after ${task.timeoutMs} ms${task.error ? `: ${task.error}` : ''}`],
      cancelled: ['task_cancelled', `task ${task.id} was cancelled`],
    } as const;
    const [code, message] = outcomes[task.status as keyof typeof outcomes] ?? ['internal', `task ${task.id} ended ${task.status}`];
    super(code, `${message}${replay}`, { task, ...(replayedKey ? { idempotentReplayed: true } : {}) });
    this.name = 'TaskEndedError';
  }
}

/**
 * A session that has ended (exited, lost) was asked to do what only a live one can (take or send a message):
 * 409 `conflict`, with the session and its state in `details`.
 */
export class SessionEndedError extends MissionError {
  constructor(session: { id: string; state: string }, refused: string) {
    super('conflict', `session ${session.id} has ended (${session.state}): ${refused}`, { sessionId: session.id, state: session.state });
    this.name = 'SessionEndedError';
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
