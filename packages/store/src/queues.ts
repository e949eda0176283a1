import type { Queue } from 'bullmq';

/** Queue, job and channel names: the contract between producers (API, MCP) and workers. */
export const queueNames = {
  tasks: 'tasks',
  /** `spawn` jobs: whichever worker takes one owns the new PTY session. */
  sessions: 'sessions',
  /** Parent jobs of coordinations (BullMQ flows): each runs once its children, the tasks' jobs, are done. */
  coordinations: 'coordinations',
  /** Housekeeping on a schedule (retention), taken by the API processes. */
  maintenance: 'maintenance',
} as const;

/** Job names beside a task's, which is its mode (`taskJob`). */
export const jobNames = {
  /** A session to start (or resume) on the `sessions` queue. */
  spawn: 'spawn',
} as const;

export interface TaskJobData {
  taskId: string;
}

export interface CoordinationJobData {
  /** The coordinating task (mode `coordinate`). */
  taskId: string;
}

export interface SpawnJobData {
  sessionId: string;
  /** Restart a lost session with `claude --resume <its Claude Code session id>`. */
  resume?: boolean;
  /**
   * With `resume`: the turn the loss stopped at a permission request goes on (its tool never ran), with one
   * prompt once the session is idle: the CLI asks again, and the permission is raised again.
   */
  continueTurn?: boolean;
  /**
   * With `resume`: lost while it waited for its slot's usage limit to reset. It waits again (blocked) until the slot
   * takes work again, then its stopped turn goes on with one `continue` if `true` (the turn had not ended).
   */
  limitTurnOpen?: boolean;
}

/** Channel names are namespaced by the queue prefix so that deployments (and tests) never overhear each other. */
export function channels(prefix: string) {
  const eventsPrefix = `${prefix}:events:`;
  return {
    events: (kind: 'task' | 'session', id: string) => `${eventsPrefix}${kind}:${id}`,
    /** What every owner's events channel starts with: the API hears them all through one pattern (its subscriber's `feed`). */
    eventsPrefix,
    control: `${prefix}:control`,
    /** Raw PTY output of a session (for attached terminals), and keystrokes into it. */
    ptyOutput: (sessionId: string) => `${prefix}:pty:${sessionId}:out`,
    ptyInput: (sessionId: string) => `${prefix}:pty:${sessionId}:in`,
    /** Keystrokes a worker refused (`{ client, message }`): the attached terminal that typed them is told. */
    ptyRefused: (sessionId: string) => `${prefix}:pty:${sessionId}:refused`,
    /** Announces that an approval was decided (the payload is its new status). */
    approval: (approvalId: string) => `${prefix}:approval:${approvalId}`,
  };
}

/** Messages on the control channel: requests every worker hears, and the one concerned acts on. */
export type ControlMessage = { type: 'cancel_task'; taskId: string };

/** Puts a task's job on the queue: the job id is the task id, so adding it twice keeps one job. */
export async function enqueueTask(
  queue: Queue<TaskJobData>,
  task: { id: string; slot: string; mode: string; priority: number },
): Promise<void> {
  const job = taskJob(task);
  await queue.add(job.name, job.data, job.opts);
}

/** A task's job (name, data, options) as `enqueueTask` adds it and as a flow's child. */
export function taskJob(task: { id: string; slot: string; mode: string; priority: number }) {
  return {
    name: task.mode,
    data: { taskId: task.id } satisfies TaskJobData,
    opts: { jobId: task.id, priority: bullPriority(task.priority) },
  };
}

/** BullMQ priority: 1 runs first. Mission's priority: 100 runs first. */
export function bullPriority(priority: number): number {
  return 101 - priority;
}
