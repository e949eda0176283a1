import type { TaskStatus } from '../schemas/tasks.ts';

/**
 * Every move a task's status may make, written once: what TaskStore checks each transition against.
 * A task is created `queued` (a coordinating task `running`: it coordinates from the start); a queued
 * task is claimed, cancelled, or failed when it cannot be queued; a running one ends, or is handed back
 * to the queue when its run was cut short and its retry policy says to run it again. An ended task stays.
 */
export const taskTransitions = {
  queued: ['running', 'failed', 'cancelled'],
  running: ['queued', 'succeeded', 'failed', 'cancelled', 'timed_out'],
  succeeded: [],
  failed: [],
  cancelled: [],
  timed_out: [],
} as const satisfies Record<TaskStatus, readonly TaskStatus[]>;

export function canMoveTask(from: TaskStatus, to: TaskStatus): boolean {
  return (taskTransitions[from] as readonly TaskStatus[]).includes(to);
}

/** Throws on a move the table does not allow: a mistake in Mission's code, not in anyone's input. */
export function assertTaskMove(from: TaskStatus, to: TaskStatus): void {
  if (!canMoveTask(from, to)) throw new Error(`a task cannot move from ${from} to ${to}`);
}
