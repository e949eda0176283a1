import { describe, expect, it } from 'vitest';
import { check, type CheckInput, checkStream, type FinalTask, overlapsByTask, recoveryTime } from './checker.ts';
import type { Op } from './history.ts';

let index = 0;
const op = (kind: Op['kind'], outcome: Op['outcome'], value: Record<string, unknown>, invokedAt = 0, completedAt = invokedAt + 10): Op => ({
  index: index++,
  process: 'c1',
  kind,
  invokedAt,
  completedAt,
  outcome,
  value,
});
const task = (id: string, extra: Partial<FinalTask> = {}): FinalTask => ({
  id,
  idempotencyKey: `k-${id}`,
  status: 'succeeded',
  retry: 'never',
  maxAttempts: 3,
  error: null,
  terminalStateEvents: 1,
  ...extra,
});
const clean = (extra: Partial<CheckInput> = {}): CheckInput => ({
  history: [],
  tasks: [],
  runs: [],
  sessions: [],
  liveWorkers: ['w1', 'w2', 'w3'],
  events: [],
  approvals: [],
  messages: [],
  ...extra,
});
const invariants = (input: CheckInput) => check(input).violations.map((v) => `${v.invariant} ${v.subject}`);

describe('the fault checker', () => {
  it('finds nothing wrong in a clean history', () => {
    const result = check(
      clean({
        history: [op('submit_task', 'ok', { key: 'k-t1', taskId: 't1' }), op('fault_start', 'ok', { fault: 'x' })],
        tasks: [task('t1')],
        runs: [{ taskId: 't1', worker: 'w1', startedAt: 0, endedAt: 100 }],
        sessions: [
          { id: 's1', state: 'idle', ownerWorker: 'w2' },
          { id: 's2', state: 'lost', ownerWorker: 'w3' },
        ],
        events: [1, 2, 3].map((seq) => ({ ownerId: 't1', seq })),
        approvals: [{ id: 'a1', status: 'approved', decisions: 1 }],
        messages: [{ id: 'm1', sessionId: 's1', status: 'answered', deliveries: 1 }],
      }),
    );
    expect(result.violations).toEqual([]);
    expect(result.ops).toEqual({ total: 1, ok: 1, fail: 0, info: 0 });
    expect(result.expectedFailures).toBe(1); // the lost session
    expect(result.maxOverlapMs).toBe(0);
  });

  it('an accepted task missing from the database is lost; one whose answer was lost may be missing', () => {
    expect(
      invariants(clean({ history: [op('submit_task', 'ok', { key: 'k-a', taskId: 'a' }), op('submit_task', 'info', { key: 'k-b' })] })),
    ).toEqual(['task_lost k-a']);
  });

  it('a task whose answer was lost but which was stored must still end', () => {
    expect(invariants(clean({ history: [op('submit_task', 'info', { key: 'k-b' })], tasks: [task('b', { status: 'running' })] }))).toEqual([
      'task_not_terminal b',
    ]);
  });

  it('a task with two terminal state events ended twice', () => {
    expect(
      invariants(clean({ history: [op('submit_task', 'ok', { key: 'k-c' })], tasks: [task('c', { terminalStateEvents: 2 })] })),
    ).toEqual(['task_ended_twice c']);
  });

  it('a task not retry: "safe" that ran twice is a violation; a safe one within maxAttempts is not', () => {
    const runs = (id: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({ taskId: id, worker: `w${i + 1}`, startedAt: i * 1000, endedAt: i * 1000 + 500 }));
    const input = clean({
      tasks: [task('never'), task('safe', { retry: 'safe' }), task('greedy', { retry: 'safe', maxAttempts: 2 })],
      runs: [...runs('never', 2), ...runs('safe', 3), ...runs('greedy', 3)],
    });
    expect(invariants(input)).toEqual(['task_ran_twice never', 'task_ran_too_often greedy']);
  });

  it('a live session on a worker that is not live is orphaned; ended ones are fine anywhere', () => {
    const sessions = [
      { id: 's-ok', state: 'working', ownerWorker: 'w1' },
      { id: 's-dead', state: 'idle', ownerWorker: 'w9' },
      { id: 's-none', state: 'starting', ownerWorker: null },
      { id: 's-ended', state: 'exited', ownerWorker: 'w9' },
    ];
    expect(invariants(clean({ sessions }))).toEqual(['session_orphaned s-dead', 'session_orphaned s-none']);
  });

  it('finds gaps and repeats in a stored event log, and a log that does not start at 1', () => {
    const events = [
      ...[1, 2, 4].map((seq) => ({ ownerId: 'gap', seq })),
      ...[1, 2, 2, 3].map((seq) => ({ ownerId: 'dup', seq })),
      ...[2, 3].map((seq) => ({ ownerId: 'late', seq })),
    ];
    expect(check(clean({ events })).violations.map((v) => `${v.invariant} ${v.subject}: ${v.detail}`)).toEqual([
      'event_gap gap: seq 3…3 missing',
      'event_duplicate dup: seq 2 stored twice',
      'event_gap late: seq 1…1 missing',
    ]);
  });

  it('finds events stored after the end of their task or session', () => {
    const events = [
      { ownerId: 't', seq: 1 },
      { ownerId: 't', seq: 2, terminal: true },
      { ownerId: 't', seq: 3 },
      { ownerId: 't', seq: 4 },
      { ownerId: 'u', seq: 1, terminal: true },
    ];
    expect(check(clean({ events })).violations.map((v) => `${v.invariant} ${v.subject}: ${v.detail}`)).toEqual([
      'event_after_end t: 2 events after its end (seq 2): seq 3, 4',
    ]);
  });

  it('a coordination child (in no submission) that did not end is found too', () => {
    expect(invariants(clean({ tasks: [task('child', { idempotencyKey: null, status: 'queued' })] }))).toEqual(['task_not_terminal child']);
  });

  it('finds gaps and repeats in what a client was streamed', () => {
    expect(checkStream({ ownerId: 'o', seqs: [3, 4, 5] })).toEqual([]);
    expect(checkStream({ ownerId: 'o', seqs: [3, 5, 5, 4] }).map((v) => v.invariant)).toEqual([
      'event_gap',
      'event_duplicate',
      'event_duplicate',
    ]);
  });

  it('an approval two clients were told they decided, or with two decision rows, was decided twice', () => {
    const history = [
      op('approve', 'ok', { approvalId: 'a1', decision: 'approve' }),
      op('approve', 'fail', { approvalId: 'a1', decision: 'deny' }, 0, 10),
      op('approve', 'ok', { approvalId: 'a2', decision: 'approve' }),
      op('approve', 'ok', { approvalId: 'a2', decision: 'deny' }),
    ];
    const approvals = [
      { id: 'a1', status: 'approved', decisions: 1 },
      { id: 'a2', status: 'approved', decisions: 1 },
      { id: 'a3', status: 'denied', decisions: 2 },
    ];
    expect(invariants(clean({ history, approvals }))).toEqual(['approval_decided_twice a2', 'approval_decided_twice a3']);
  });

  it('a message Claude got twice was delivered twice', () => {
    const messages = [
      { id: 'm1', sessionId: 's', status: 'answered', deliveries: 1 },
      { id: 'm2', sessionId: 's', status: 'failed', deliveries: 0 },
      { id: 'm3', sessionId: 's', status: 'answered', deliveries: 2 },
    ];
    expect(invariants(clean({ messages }))).toEqual(['message_delivered_twice m3']);
  });

  it('measures how long two workers ran the same task at once', () => {
    const runs = [
      { taskId: 't', worker: 'w1', startedAt: 1_000, endedAt: 5_000 },
      { taskId: 't', worker: 'w2', startedAt: 3_500, endedAt: 9_000 },
      { taskId: 'u', worker: 'w1', startedAt: 0, endedAt: 1_000 },
      { taskId: 'u', worker: 'w2', startedAt: 2_000, endedAt: 3_000 },
    ];
    expect(Object.fromEntries(overlapsByTask(runs))).toEqual({ t: 1_500, u: 0 });
    const result = check(clean({ tasks: [task('t', { retry: 'safe' }), task('u', { retry: 'safe' })], runs }));
    expect(result.maxOverlapMs).toBe(1_500);
    expect(result.overlappingTasks).toEqual(['t']);
  });

  it('counts failures the retry policy promises as expected', () => {
    const tasks = [
      task('lost', {
        status: 'failed',
        error: 'the worker running it (w1) was lost; not retried because the prompt had already reached Claude (retry: never)',
      }),
      task('other', { status: 'failed', error: 'claude exited with code 1' }),
    ];
    expect(check(clean({ tasks })).expectedFailures).toBe(1);
  });

  it('recovery time runs from the heal to the first probe that succeeded after it', () => {
    const history = [
      op('task_final', 'ok', { probe: true, status: 'succeeded' }, 100, 400),
      op('task_final', 'ok', { probe: true, status: 'failed' }, 1_000, 1_500),
      op('task_final', 'ok', { probe: false, status: 'succeeded' }, 1_000, 1_600),
      op('task_final', 'ok', { probe: true, status: 'succeeded' }, 1_100, 2_700),
    ];
    expect(recoveryTime(history, 1_000)).toBe(1_700);
    expect(recoveryTime(history, 5_000)).toBeUndefined();
  });
});
