import { describe, expect, it } from 'vitest';
import { decideLostTask, type LostTask } from './lostTaskPolicy.ts';

const task = (over: Partial<LostTask>): LostTask => ({ retry: 'never', attempts: 1, maxAttempts: 3, promptDelivered: true, ...over });

describe('decideLostTask', () => {
  it('fails a delivered prompt by default: it must not run twice', () => {
    const decision = decideLostTask(task({}), 'w1');
    expect(decision.action).toBe('fail');
    expect(decision.reason).toBe('the worker running it (w1) was lost; not retried because the prompt had already reached Claude (retry: never)');
  });

  it('re-queues a prompt that never reached Claude, whatever the policy', () => {
    expect(decideLostTask(task({ promptDelivered: false }), 'w1')).toEqual({
      action: 'requeue',
      reason: 'the worker running it (w1) was lost before the prompt reached Claude; re-queued',
    });
    expect(decideLostTask(task({ promptDelivered: false, retry: 'safe' }), 'w1').action).toBe('requeue');
  });

  it('re-queues a delivered prompt when the task says a second run is safe', () => {
    expect(decideLostTask(task({ retry: 'safe', attempts: 2 }), 'w2')).toEqual({
      action: 'requeue',
      reason: 'the worker running it (w2) was lost; re-queued to run again (retry: safe, attempt 3 of 3)',
    });
  });

  it('stops at maxAttempts, delivered or not', () => {
    expect(decideLostTask(task({ retry: 'safe', attempts: 3 }), 'w1')).toEqual({
      action: 'fail',
      reason: 'the worker running it (w1) was lost; not retried: 3 of 3 attempts used',
    });
    expect(decideLostTask(task({ promptDelivered: false, attempts: 1, maxAttempts: 1 }), 'w1').action).toBe('fail');
  });
});
