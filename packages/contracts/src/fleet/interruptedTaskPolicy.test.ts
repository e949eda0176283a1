import { describe, expect, it } from 'vitest';
import { decideInterruptedTask, type InterruptedTask } from './interruptedTaskPolicy.ts';

const task = (over: Partial<InterruptedTask>): InterruptedTask => ({
  retry: 'never',
  attempts: 1,
  maxAttempts: 3,
  promptDelivered: true,
  ...over,
});
const lost = { kind: 'lost', workerId: 'w1' } as const;
const shutdown = { kind: 'shutdown', workerId: 'w1' } as const;

describe('decideInterruptedTask', () => {
  it('fails a delivered prompt by default: it must not run twice', () => {
    expect(decideInterruptedTask(task({}), lost)).toEqual({
      action: 'fail',
      code: 'worker_lost',
      reason: 'the worker running it (w1) was lost; not retried because the prompt had already reached Claude (retry: never)',
    });
    expect(decideInterruptedTask(task({}), shutdown)).toEqual({
      action: 'fail',
      code: 'worker_shutdown',
      reason:
        'the worker running it (w1) shut down before it finished; not retried because the prompt had already reached Claude (retry: never)',
    });
  });

  it('re-queues a prompt that never reached Claude, whatever the policy', () => {
    expect(decideInterruptedTask(task({ promptDelivered: false }), lost)).toEqual({
      action: 'requeue',
      reason: 'the worker running it (w1) was lost before the prompt reached Claude; re-queued',
    });
    expect(decideInterruptedTask(task({ promptDelivered: false, retry: 'safe' }), shutdown).action).toBe('requeue');
  });

  it('re-queues a delivered prompt when the task says a second run is safe', () => {
    expect(decideInterruptedTask(task({ retry: 'safe', attempts: 2 }), { kind: 'lost', workerId: 'w2' })).toEqual({
      action: 'requeue',
      reason: 'the worker running it (w2) was lost; re-queued to run again (retry: safe, attempt 3 of 3)',
    });
  });

  it('stops at maxAttempts, delivered or not', () => {
    expect(decideInterruptedTask(task({ retry: 'safe', attempts: 3 }), lost)).toEqual({
      action: 'fail',
      code: 'worker_lost',
      reason: 'the worker running it (w1) was lost; not retried: 3 of 3 attempts used',
    });
    expect(decideInterruptedTask(task({ promptDelivered: false, attempts: 1, maxAttempts: 1 }), shutdown).action).toBe('fail');
  });

  it('says a run that lost its job on a live worker is settled like a lost one (worker_lost)', () => {
    expect(decideInterruptedTask(task({}), { kind: 'jobless', workerId: 'w1' })).toEqual({
      action: 'fail',
      code: 'worker_lost',
      reason:
        "its run on worker w1 lost its job (the job's lock in Redis ran out, or Redis lost the job); not retried because the prompt had already reached Claude (retry: never)",
    });
  });
});
