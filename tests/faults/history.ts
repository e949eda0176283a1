/**
 * A Jepsen-style history: every client call the workload makes, with when it was invoked and when its
 * answer came, and what the answer was. `ok` = the call did what it was asked; `fail` = it certainly did
 * not (a 4xx/5xx that says so); `info` = unknown (a timeout or a broken connection: it may have happened).
 */
export type Outcome = 'ok' | 'fail' | 'info';

export type OpKind =
  | 'submit_task'
  | 'task_final'
  | 'start_session'
  | 'send'
  | 'message'
  | 'approve'
  | 'coordinate'
  | 'kill_session'
  | 'fault_start'
  | 'fault_end';

export interface Op {
  index: number;
  /** Which client (or the nemesis) made the call. */
  process: string;
  kind: OpKind;
  /** ms since the history began. */
  invokedAt: number;
  completedAt: number;
  outcome: Outcome;
  /** HTTP status, when there was one. */
  status?: number;
  /** What the call was about and what it returned (task id, session id, fault name, …). */
  value: Record<string, unknown>;
}

export class History {
  readonly ops: Op[] = [];
  private readonly origin = Date.now();

  now(): number {
    return Date.now() - this.origin;
  }

  /** Absolute wall-clock time of a history time (for comparing with the stubs' request times). */
  toEpoch(at: number): number {
    return this.origin + at;
  }

  fromEpoch(epochMs: number): number {
    return epochMs - this.origin;
  }

  /** Runs `call`, recording it; an exception is an `info` op (the call may or may not have happened). */
  async record(
    process: string,
    kind: OpKind,
    value: Record<string, unknown>,
    call: () => Promise<{ outcome: Outcome; status?: number; value?: Record<string, unknown> }>,
  ): Promise<Op> {
    const invokedAt = this.now();
    let answer: { outcome: Outcome; status?: number; value: Record<string, unknown> };
    try {
      const got = await call();
      answer = { outcome: got.outcome, status: got.status, value: { ...value, ...got.value } };
    } catch (error) {
      answer = { outcome: 'info', value: { ...value, error: (error as Error).message } };
    }
    const op: Op = { index: this.ops.length, process, kind, invokedAt, completedAt: this.now(), ...answer };
    this.ops.push(op);
    return op;
  }

  /** An instantaneous op (the nemesis starting or healing a fault). */
  mark(process: string, kind: OpKind, value: Record<string, unknown>): Op {
    const at = this.now();
    const op: Op = { index: this.ops.length, process, kind, invokedAt: at, completedAt: at, outcome: 'ok', value };
    this.ops.push(op);
    return op;
  }
}

/**
 * An HTTP status as an outcome: 2xx ok, 4xx fail (refused: nothing done), 5xx unknown — a 503 or 504 may
 * come after the row was written (a task stored in Postgres whose job Redis did not take is enqueued
 * again by the sweep and runs).
 */
export function outcomeOfStatus(status: number): Outcome {
  if (status >= 200 && status < 300) return 'ok';
  if (status >= 400 && status < 500) return 'fail';
  return 'info';
}
