/** Queue, job and channel names: the contract between producers (API, MCP) and workers. */
export const queueNames = {
  tasks: 'tasks',
} as const;

export const jobNames = {
  submit: 'submit',
  ask: 'ask',
} as const;

export interface TaskJobData {
  taskId: string;
}

/** Channel names are namespaced by the queue prefix so that deployments (and tests) never overhear each other. */
export function channels(prefix: string) {
  return {
    events: (kind: 'task' | 'session', id: string) => `${prefix}:events:${kind}:${id}`,
    control: `${prefix}:control`,
  };
}

/** Messages on the control channel: requests every worker hears, and the one concerned acts on. */
export type ControlMessage = { type: 'cancel_task'; taskId: string };

/** BullMQ priority: 1 runs first. Mission's priority: 100 runs first. */
export function bullPriority(priority: number): number {
  return 101 - priority;
}
