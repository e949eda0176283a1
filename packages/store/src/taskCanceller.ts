import { and, eq, inArray, ne } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { Database } from './db/database.ts';
import { tasks } from './db/schema.ts';
import type { EventLog } from './eventLog.ts';
import { channels, type ControlMessage } from './queues.ts';
import type { FailurePolicy } from '@mission/contracts';
import { isTerminalTaskStatus } from '@mission/contracts';
import { TaskStore } from './tasks/taskStore.ts';

/** What asking a task to stop came to: cancelled at once (it was queued), its worker told, or it had ended. */
export type CancelRequest = 'cancelled' | 'requested' | 'ended';

/**
 * Stops tasks wherever they are: a queued task is cancelled at once (the worker that takes its job skips
 * it); a running one's worker is told on the control channel to kill its process and records it
 * `cancelled`; a coordination is stopped through its children. Used by the API (cancel) and by whoever
 * records a coordination child's end (fail_fast), so that the policy holds when nobody waits on the call.
 */
export class TaskCanceller {
  private readonly store: TaskStore;

  constructor(private readonly deps: { db: Database; events: EventLog; publisher: Redis; queuePrefix: string }) {
    this.store = new TaskStore(deps);
  }

  async request(id: string): Promise<CancelRequest> {
    await this.store.requestCancel(id);
    if (await this.store.finish(id, { from: 'queued', to: 'cancelled', error: 'cancelled before it started' })) return 'cancelled';
    const [task] = await this.deps.db.select({ status: tasks.status, mode: tasks.mode }).from(tasks).where(eq(tasks.id, id));
    if (!task || isTerminalTaskStatus(task.status)) return 'ended';
    if (task.mode === 'coordinate') {
      // No process runs a coordination: cancelling its children ends it, and its flow records it cancelled.
      await this.cancelChildren(id);
    } else {
      const message: ControlMessage = { type: 'cancel_task', taskId: id };
      await this.deps.publisher.publish(channels(this.deps.queuePrefix).control, JSON.stringify(message));
    }
    return 'requested';
  }

  /** Asks a task's children that have not ended (all but `except`) to stop; returns their ids. */
  async cancelChildren(parentId: string, except?: string): Promise<string[]> {
    const open = await this.deps.db
      .select({ id: tasks.id })
      .from(tasks)
      .where(and(eq(tasks.parentId, parentId), inArray(tasks.status, ['queued', 'running']), except ? ne(tasks.id, except) : undefined));
    await Promise.all(open.map(({ id }) => this.request(id)));
    return open.map(({ id }) => id);
  }

  /**
   * fail_fast: once a child of a coordination has ended without succeeding, the coordination's other
   * children are asked to stop. Returns their ids (none for any other task).
   */
  async afterChildEnded(taskId: string): Promise<string[]> {
    const [child] = await this.deps.db.select({ status: tasks.status, parentId: tasks.parentId }).from(tasks).where(eq(tasks.id, taskId));
    if (!child?.parentId || !isTerminalTaskStatus(child.status) || child.status === 'succeeded') return [];
    const [parent] = await this.deps.db
      .select({ mode: tasks.mode, metadata: tasks.metadata })
      .from(tasks)
      .where(eq(tasks.id, child.parentId));
    const policy = (parent?.metadata as { failurePolicy?: FailurePolicy } | null)?.failurePolicy;
    if (parent?.mode !== 'coordinate' || policy !== 'fail_fast') return [];
    return this.cancelChildren(child.parentId, taskId);
  }
}
