import type { TaskRetryPolicy } from '../schemas/tasks.ts';

/** What is known of a task whose worker was lost while it ran. */
export interface LostTask {
  retry: TaskRetryPolicy;
  attempts: number;
  maxAttempts: number;
  /** Whether the lost run had handed the prompt to Claude. */
  promptDelivered: boolean;
}

export type LostTaskDecision = { action: 'requeue'; reason: string } | { action: 'fail'; reason: string };

/**
 * Decides what becomes of a task whose worker died: never silently lost, never run twice after its
 * prompt reached Claude unless the task said that is safe; and never more than `maxAttempts` runs.
 */
export function decideLostTask(task: LostTask, workerId: string): LostTaskDecision {
  const lost = `the worker running it (${workerId}) was lost`;
  if (task.attempts >= task.maxAttempts) {
    return { action: 'fail', reason: `${lost}; not retried: ${task.attempts} of ${task.maxAttempts} attempts used` };
  }
  if (!task.promptDelivered) return { action: 'requeue', reason: `${lost} before the prompt reached Claude; re-queued` };
  if (task.retry === 'safe') {
    return { action: 'requeue', reason: `${lost}; re-queued to run again (retry: safe, attempt ${task.attempts + 1} of ${task.maxAttempts})` };
  }
  return { action: 'fail', reason: `${lost}; not retried because the prompt had already reached Claude (retry: never)` };
}
