import { and, count, eq, inArray, ne } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Redis } from 'ioredis';
import type { Database } from './db/database.ts';
import { events, tasks } from './db/schema.ts';
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
   * A coordination's child has ended: its end is told on the coordination (a `status` event, `<slot>: <status>
   * (n/total)`), by whoever recorded it and before its job completes, so before the coordination can end (its flow
   * waits for every child's job); and with fail_fast, once a child has ended without succeeding, the coordination's
   * other children are asked to stop. Returns their ids (none for any other task).
   */
  async afterChildEnded(taskId: string): Promise<string[]> {
    const parents = alias(tasks, 'parent');
    const [child] = await this.deps.db
      .select({
        status: tasks.status,
        parentId: tasks.parentId,
        slot: tasks.slot,
        parentMode: parents.mode,
        parentMetadata: parents.metadata,
      })
      .from(tasks)
      .leftJoin(parents, eq(parents.id, tasks.parentId))
      .where(eq(tasks.id, taskId));
    // Only a coordination's children: a task an agent submitted has its session as parent, no task row.
    if (!child?.parentId || child.parentMode !== 'coordinate' || !isTerminalTaskStatus(child.status)) return [];
    await this.tellChildEnded(child.parentId, `${child.slot}: ${child.status}`);
    const policy = (child.parentMetadata as { failurePolicy?: FailurePolicy } | null)?.failurePolicy;
    if (policy !== 'fail_fast' || child.status === 'succeeded') return [];
    return this.cancelChildren(child.parentId, taskId);
  }

  /**
   * Stores a child's end on its coordination, counted among the ends told so far (the coordination's row locked
   * meanwhile, so children ending together count one after another), unless the coordination has ended.
   */
  private tellChildEnded(coordinationId: string, end: string): Promise<void> {
    return this.deps.events.transaction(async (tx, record) => {
      const [coordination] = await tx.select({ status: tasks.status }).from(tasks).where(eq(tasks.id, coordinationId)).for('update');
      if (!coordination || isTerminalTaskStatus(coordination.status)) return;
      const [told] = await tx
        .select({ n: count() })
        .from(events)
        .where(and(eq(events.ownerId, coordinationId), eq(events.type, 'status')));
      const [children] = await tx.select({ n: count() }).from(tasks).where(eq(tasks.parentId, coordinationId));
      record(
        { kind: 'task', id: coordinationId },
        { type: 'status', payload: { text: `${end} (${(told?.n ?? 0) + 1}/${children?.n ?? 0})` } },
      );
    });
  }
}
