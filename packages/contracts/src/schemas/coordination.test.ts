import { describe, expect, it } from 'vitest';
import { coordinationOutcome } from './coordination.ts';

const child = (slot: string, status: string, finishedAt: number | null, error: string | null = null) => ({
  slot,
  child: { taskId: `task_${slot}`, status, result: status === 'succeeded' ? `${slot} done` : null, error },
  finishedAt: finishedAt === null ? null : new Date(finishedAt),
});

describe('coordinationOutcome', () => {
  it('succeeds when every child succeeded, with each result by slot', () => {
    expect(coordinationOutcome([child('a', 'succeeded', 2), child('b', 'succeeded', 1)])).toEqual({
      status: 'succeeded',
      error: null,
      results: {
        a: { taskId: 'task_a', status: 'succeeded', result: 'a done', error: null },
        b: { taskId: 'task_b', status: 'succeeded', result: 'b done', error: null },
      },
    });
  });

  it('fails naming the first child to end unsuccessfully, then the others, and keeps every result', () => {
    const outcome = coordinationOutcome([
      child('a', 'cancelled', 30, 'cancelled'),
      child('b', 'succeeded', 5),
      child('c', 'failed', 10, 'API error'),
      child('d', 'cancelled', null),
    ]);
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toBe(
      '3 of 4 subtasks did not succeed: c (task_c) failed: API error; a (task_a) cancelled: cancelled; d (task_d) cancelled',
    );
    expect(Object.keys(outcome.results)).toEqual(['a', 'b', 'c', 'd']);
    expect(outcome.results.b).toMatchObject({ status: 'succeeded', result: 'b done' });
  });

  it('is cancelled when its cancel was asked for and not every child succeeded; succeeded when they all had anyway', () => {
    const cancelled = coordinationOutcome([child('a', 'succeeded', 5), child('b', 'cancelled', 8, 'cancelled')], { cancelRequested: true });
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.error).toBe('cancelled on request; 1 of 2 subtasks did not succeed: b (task_b) cancelled: cancelled');
    expect(cancelled.results.a).toMatchObject({ status: 'succeeded', result: 'a done' });
    expect(coordinationOutcome([child('a', 'succeeded', 5)], { cancelRequested: true }).status).toBe('succeeded');
  });
});
