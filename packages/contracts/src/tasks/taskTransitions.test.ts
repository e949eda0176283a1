import { describe, expect, it } from 'vitest';
import { taskStatuses, terminalTaskStatuses } from '../schemas/tasks.ts';
import { assertTaskMove, canMoveTask, taskTransitions } from './taskTransitions.ts';

describe('task transitions', () => {
  it('lists every status, and an ended task moves nowhere', () => {
    expect(Object.keys(taskTransitions).sort()).toEqual([...taskStatuses].sort());
    for (const status of terminalTaskStatuses) expect(taskTransitions[status]).toEqual([]);
  });

  it('allows exactly the moves of the task life cycle', () => {
    const allowed = taskStatuses.flatMap((from) => taskStatuses.filter((to) => canMoveTask(from, to)).map((to) => `${from}→${to}`));
    expect(allowed.sort()).toEqual(
      [
        'queued→running',
        'queued→failed',
        'queued→cancelled',
        'running→queued',
        'running→succeeded',
        'running→failed',
        'running→cancelled',
        'running→timed_out',
      ].sort(),
    );
  });

  it('never moves a status to itself, and never back from an end', () => {
    for (const status of taskStatuses) expect(canMoveTask(status, status)).toBe(false);
    expect(canMoveTask('succeeded', 'queued')).toBe(false);
    expect(canMoveTask('queued', 'succeeded')).toBe(false);
  });

  it('throws in Mission’s words on a move it does not allow', () => {
    expect(() => assertTaskMove('failed', 'running')).toThrow('a task cannot move from failed to running');
    expect(() => assertTaskMove('queued', 'running')).not.toThrow();
  });
});
