import type { TaskRetryPolicy } from '../schemas/tasks.ts';

/** What is known of a task whose run was cut short by its worker going away. */
export interface InterruptedTask {
  retry: TaskRetryPolicy;
  attempts: number;
  maxAttempts: number;
  /** Whether the cut-short run had handed the prompt to Claude. */
  promptDelivered: boolean;
}

/**
 * How the run was cut short: its worker lost (crashed, killed, cut off), shut down past its grace period, or
 * `jobless`: the worker lives but the run's job is no longer held (its lock in Redis ran out, or Redis lost it).
 */
export interface Interruption {
  kind: 'lost' | 'shutdown' | 'jobless';
  workerId: string;
}

export type InterruptedTaskDecision =
  | { action: 'requeue'; reason: string }
  | { action: 'fail'; code: 'worker_lost' | 'worker_shutdown'; reason: string };

/**
 * Decides what becomes of a task whose worker went away mid-run: never silently lost, never run twice
 * after its prompt reached Claude unless the task said that is safe, and never more than `maxAttempts` runs.
 */
export function decideInterruptedTask(task: InterruptedTask, how: Interruption): InterruptedTaskDecision {
  const what = {
    lost: `the worker running it (${how.workerId}) was lost`,
    shutdown: `the worker running it (${how.workerId}) shut down before it finished`,
    jobless: `its run on worker ${how.workerId} lost its job (the job's lock in Redis ran out, or Redis lost the job)`,
  }[how.kind];
  const code = how.kind === 'shutdown' ? 'worker_shutdown' : 'worker_lost';
  if (task.attempts >= task.maxAttempts) {
    return { action: 'fail', code, reason: `${what}; not retried: ${task.attempts} of ${task.maxAttempts} attempts used` };
  }
  if (!task.promptDelivered) return { action: 'requeue', reason: `${what} before the prompt reached Claude; re-queued` };
  if (task.retry === 'safe') {
    return {
      action: 'requeue',
      reason: `${what}; re-queued to run again (retry: safe, attempt ${task.attempts + 1} of ${task.maxAttempts})`,
    };
  }
  return { action: 'fail', code, reason: `${what}; not retried because the prompt had already reached Claude (retry: never)` };
}
