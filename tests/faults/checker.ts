import type { Op } from './history.ts';

/**
 * The fault harness's checker: pure functions over a history (what the clients asked and were told) and
 * what was left at the end (the database's rows, the stub API's requests). No I/O: the harness gathers
 * the evidence, this decides what it proves.
 */

export const TERMINAL_TASK_STATES = ['succeeded', 'failed', 'cancelled', 'timed_out'] as const;
export const ENDED_SESSION_STATES = ['exited', 'lost'] as const;

export interface FinalTask {
  id: string;
  idempotencyKey: string | null;
  /** `coordinate` for a coordination's own task. */
  mode?: string;
  status: string;
  retry: string;
  maxAttempts: number;
  error: string | null;
  /** `state` events of the task whose state is terminal (exactly one for a task that ended once). */
  terminalStateEvents: number;
}

/** One run of a task's prompt as the stub Messages API saw it: the worker (by the stub it called) and when. */
export interface PromptRun {
  taskId: string;
  worker: string;
  /** Epoch ms of the run's first request … */
  startedAt: number;
  /** … and of the end of its last reply's stream, as the stub scheduled it. */
  endedAt: number;
}

export interface FinalSession {
  id: string;
  state: string;
  ownerWorker: string | null;
}

export interface EventSeq {
  ownerId: string;
  seq: number;
  /** A `state` event saying the task or session ended (succeeded, failed, …, exited, lost). */
  terminal?: boolean;
}

/** The seqs a client was sent on one event stream (SSE), in the order it got them. */
export interface ObservedStream {
  ownerId: string;
  seqs: number[];
}

export interface FinalApproval {
  id: string;
  status: string;
  /** Rows in permission_decisions that name this approval. */
  decisions: number;
}

export interface FinalMessage {
  id: string;
  sessionId: string;
  status: string;
  /** Times Claude was given the message (conversation turns the stub saw it start). */
  deliveries: number;
}

export interface CheckInput {
  history: Op[];
  tasks: FinalTask[];
  runs: PromptRun[];
  sessions: FinalSession[];
  /** Workers whose process runs and that the registry lists `active` at the end. */
  liveWorkers: string[];
  events: EventSeq[];
  streams?: ObservedStream[];
  approvals: FinalApproval[];
  messages: FinalMessage[];
}

export type Invariant =
  | 'task_lost'
  | 'task_not_terminal'
  | 'task_ended_twice'
  | 'task_ran_twice'
  | 'task_ran_too_often'
  | 'session_orphaned'
  | 'event_gap'
  | 'event_duplicate'
  | 'event_after_end'
  | 'approval_decided_twice'
  | 'message_delivered_twice';

export interface Violation {
  invariant: Invariant;
  subject: string;
  detail: string;
}

export interface CheckResult {
  violations: Violation[];
  /** Failures the policy promises (a task that was not `retry: "safe"` failing with worker_lost, a session lost with its worker). */
  expectedFailures: number;
  /** Longest time two workers ran the same task at once, in ms (0: never). */
  maxOverlapMs: number;
  /** Tasks that two workers ran at the same time. */
  overlappingTasks: string[];
  ops: { total: number; ok: number; fail: number; info: number };
}

/** A task failed because its worker was lost or shut down and its retry policy said not to run it again. */
const LOST_WORKER_FAILURE = /was lost|shut down|worker_lost|worker_shutdown/;

export function check(input: CheckInput): CheckResult {
  const violations = [
    ...checkTasks(input),
    ...checkRuns(input.tasks, input.runs),
    ...checkSessions(input.sessions, input.liveWorkers),
    ...checkEventLog(input.events),
    ...(input.streams ?? []).flatMap(checkStream),
    ...checkApprovals(input.history, input.approvals),
    ...checkMessages(input.messages),
  ];
  const overlaps = overlapsByTask(input.runs);
  const clientOps = input.history.filter((op) => op.kind !== 'fault_start' && op.kind !== 'fault_end');
  return {
    violations,
    expectedFailures:
      input.tasks.filter((t) => t.status === 'failed' && LOST_WORKER_FAILURE.test(t.error ?? '')).length +
      input.sessions.filter((s) => s.state === 'lost').length,
    maxOverlapMs: Math.max(0, ...overlaps.values()),
    overlappingTasks: [...overlaps].filter(([, ms]) => ms > 0).map(([id]) => id),
    ops: {
      total: clientOps.length,
      ok: clientOps.filter((op) => op.outcome === 'ok').length,
      fail: clientOps.filter((op) => op.outcome === 'fail').length,
      info: clientOps.filter((op) => op.outcome === 'info').length,
    },
  };
}

/**
 * Every task a client was told was accepted exists; every task stored (those whose submission's answer
 * was lost and the children of coordinations included) ended, exactly once.
 */
export function checkTasks(input: Pick<CheckInput, 'history' | 'tasks'>): Violation[] {
  const keys = new Set(input.tasks.map((t) => t.idempotencyKey));
  const violations: Violation[] = [];
  for (const op of input.history.filter((o) => o.kind === 'submit_task' && o.outcome === 'ok' && !keys.has(String(o.value.key)))) {
    violations.push({
      invariant: 'task_lost',
      subject: String(op.value.key),
      detail: `accepted as ${String(op.value.taskId)} at ${op.completedAt} ms, not in the database`,
    });
  }
  for (const task of input.tasks) {
    if (!(TERMINAL_TASK_STATES as readonly string[]).includes(task.status)) {
      violations.push({
        invariant: 'task_not_terminal',
        subject: task.id,
        detail: `${task.mode === 'coordinate' ? 'a coordination, ' : ''}still ${task.status} at the end`,
      });
    } else if (task.terminalStateEvents !== 1) {
      violations.push({
        invariant: 'task_ended_twice',
        subject: task.id,
        detail: `${task.terminalStateEvents} terminal state events (status ${task.status})`,
      });
    }
  }
  return violations;
}

/** A task runs once unless it said `retry: "safe"`, and then at most `maxAttempts` times. */
export function checkRuns(tasks: FinalTask[], runs: PromptRun[]): Violation[] {
  const violations: Violation[] = [];
  for (const task of tasks) {
    const mine = runs.filter((r) => r.taskId === task.id);
    const where = mine.map((r) => r.worker).join(', ');
    if (task.retry !== 'safe' && mine.length > 1)
      violations.push({
        invariant: 'task_ran_twice',
        subject: task.id,
        detail: `retry: ${task.retry}, ran ${mine.length} times (on ${where})`,
      });
    if (task.retry === 'safe' && mine.length > task.maxAttempts) {
      violations.push({
        invariant: 'task_ran_too_often',
        subject: task.id,
        detail: `ran ${mine.length} times, maxAttempts ${task.maxAttempts} (on ${where})`,
      });
    }
  }
  return violations;
}

/** No session is left live (starting, idle, working, waiting) on a worker that is not live. */
export function checkSessions(sessions: FinalSession[], liveWorkers: string[]): Violation[] {
  return sessions
    .filter((s) => !(ENDED_SESSION_STATES as readonly string[]).includes(s.state))
    .filter((s) => s.ownerWorker === null || !liveWorkers.includes(s.ownerWorker))
    .map((s) => ({
      invariant: 'session_orphaned',
      subject: s.id,
      detail: `${s.state} on ${s.ownerWorker ?? 'no worker'}, which is not live`,
    }));
}

/** Each owner's stored events are numbered 1, 2, 3, … without a hole or a repeat, and none comes after its end. */
export function checkEventLog(events: EventSeq[]): Violation[] {
  const byOwner = new Map<string, number[]>();
  for (const e of events) byOwner.set(e.ownerId, [...(byOwner.get(e.ownerId) ?? []), e.seq]);
  const violations: Violation[] = [];
  const ends = new Map<string, number>();
  for (const e of events) if (e.terminal && e.seq < (ends.get(e.ownerId) ?? Infinity)) ends.set(e.ownerId, e.seq);
  for (const [ownerId, end] of ends) {
    const after = (byOwner.get(ownerId) ?? []).filter((seq) => seq > end);
    if (after.length > 0)
      violations.push({
        invariant: 'event_after_end',
        subject: ownerId,
        detail: `${after.length} events after its end (seq ${end}): seq ${after.sort((a, b) => a - b).join(', ')}`,
      });
  }
  for (const [ownerId, seqs] of byOwner) {
    const sorted = [...seqs].sort((a, b) => a - b);
    for (let i = 0; i < sorted.length; i++) {
      if (i > 0 && sorted[i] === sorted[i - 1])
        violations.push({ invariant: 'event_duplicate', subject: ownerId, detail: `seq ${sorted[i]} stored twice` });
      const expected = i === 0 ? 1 : sorted[i - 1]! + 1;
      if (sorted[i]! > expected)
        violations.push({ invariant: 'event_gap', subject: ownerId, detail: `seq ${expected}…${sorted[i]! - 1} missing` });
    }
  }
  return violations;
}

/** A client following a stream gets every seq once, in order, from where it started. */
export function checkStream(stream: ObservedStream): Violation[] {
  const violations: Violation[] = [];
  for (let i = 1; i < stream.seqs.length; i++) {
    const [before, seq] = [stream.seqs[i - 1]!, stream.seqs[i]!];
    if (seq <= before)
      violations.push({ invariant: 'event_duplicate', subject: stream.ownerId, detail: `stream sent seq ${seq} after ${before}` });
    else if (seq > before + 1)
      violations.push({ invariant: 'event_gap', subject: stream.ownerId, detail: `stream skipped seq ${before + 1}…${seq - 1}` });
  }
  return violations;
}

/** An approval is decided at most once: one decision row, and at most one client told its decision took. */
export function checkApprovals(history: Op[], approvals: FinalApproval[]): Violation[] {
  const violations: Violation[] = [];
  for (const approval of approvals) {
    const accepted = history.filter((op) => op.kind === 'approve' && op.value.approvalId === approval.id && op.outcome === 'ok');
    if (approval.decisions > 1)
      violations.push({ invariant: 'approval_decided_twice', subject: approval.id, detail: `${approval.decisions} decision rows` });
    if (accepted.length > 1) {
      violations.push({
        invariant: 'approval_decided_twice',
        subject: approval.id,
        detail: `${accepted.length} clients were told their decision (${accepted.map((op) => op.value.decision).join(', ')}) took`,
      });
    }
  }
  return violations;
}

/** A message is typed into its session at most once. */
export function checkMessages(messages: FinalMessage[]): Violation[] {
  return messages
    .filter((m) => m.deliveries > 1)
    .map((m) => ({
      invariant: 'message_delivered_twice',
      subject: m.id,
      detail: `Claude got it ${m.deliveries} times in session ${m.sessionId} (status ${m.status})`,
    }));
}

/** For each task, the longest time two of its runs on different workers were under way together. */
export function overlapsByTask(runs: PromptRun[]): Map<string, number> {
  const result = new Map<string, number>();
  for (const run of runs) {
    const others = runs.filter((r) => r.taskId === run.taskId && r.worker !== run.worker);
    const longest = Math.max(0, ...others.map((o) => Math.min(run.endedAt, o.endedAt) - Math.max(run.startedAt, o.startedAt)));
    result.set(run.taskId, Math.max(result.get(run.taskId) ?? 0, longest));
  }
  return result;
}

/**
 * Time from a fault's end to the first probe task (submitted after it) that succeeded: how long the system
 * took to do work again. Undefined when none did.
 */
export function recoveryTime(history: Op[], healedAt: number): number | undefined {
  const probe = history.find(
    (op) => op.kind === 'task_final' && op.value.probe === true && op.invokedAt >= healedAt && op.value.status === 'succeeded',
  );
  return probe === undefined ? undefined : probe.completedAt - healedAt;
}
