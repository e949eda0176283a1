import {
  type Caller,
  type Coordination,
  type CoordinateInput,
  coordinateInputSchema,
  newId,
  parseInput,
  TimeoutError,
  UnavailableError,
} from '@mission/contracts';
import {
  coordinationChildren,
  type Database,
  type EventLog,
  type Logger,
  queueNames,
  taskJob,
  type TaskRow,
  TaskStore,
} from '@mission/store';
import type { FlowProducer } from 'bullmq';
import { assertWithinDailyBudget } from './budget.ts';
import type { RequestShutdown } from './requestShutdown.ts';
import { assertAgentMayUseSlot } from './slotAccess.ts';
import type { SlotService } from './slots.ts';
import type { TaskService } from './tasks.ts';

const PRIORITY = 50;

export interface CoordinationServiceOptions {
  db: Database;
  slots: SlotService;
  tasks: TaskService;
  events: EventLog;
  flows: FlowProducer;
  /** Default wait for the whole coordination, and each child's own timeout. */
  taskTimeoutMs: number;
  /** Ends the call's waits when the API shuts down (`tasks.waitForEnd` hears it); the coordination goes on. */
  shutdown: RequestShutdown;
  logger: Logger;
}

/** Told as each child ends: how many have, of how many, and what became of this one. */
export type CoordinationProgress = (done: number, total: number, message: string) => void;

/**
 * Runs one subtask per slot in parallel towards a goal. The coordinating task (mode `coordinate`, prompt
 * the goal, slot the first slot given) is the parent job of a BullMQ flow whose children are the child
 * tasks' jobs on the `tasks` queue; the worker settles it once they are done. The call follows the
 * children: with `fail_fast` the first that does not succeed cancels the others.
 */
export class CoordinationService {
  private readonly store: TaskStore;

  constructor(private readonly deps: CoordinationServiceOptions) {
    this.store = new TaskStore(deps);
  }

  /** `caller`: who coordinates — an agent only on the slots its role allows. */
  async coordinate(
    body: unknown,
    options: { signal?: AbortSignal; onProgress?: CoordinationProgress; caller?: Caller | undefined } = {},
  ): Promise<Coordination> {
    const input = parseInput(coordinateInputSchema, body, 'coordinate');
    const slots = Object.keys(input.tasks);
    for (const slot of slots) {
      const known = await this.deps.slots.assertKnown(slot, 'task');
      await assertAgentMayUseSlot(this.deps.db, options.caller, slot, 'coordinate');
      await assertWithinDailyBudget(this.deps.db, slot, new Date(), known);
    }
    const timeoutMs = input.timeoutMs ?? this.deps.taskTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    const { parent, children } = await this.create(input, slots, timeoutMs);
    await this.enqueue(parent, children);

    await this.followChildren(children, deadline, options);
    const settled = await this.deps.tasks.waitForEnd(parent.id, Math.max(0, deadline - Date.now()), options.signal);
    if (!settled) {
      this.deps.shutdown.assertNotBegun(`the coordination goes on as task ${parent.id}: read it for its results`, { taskId: parent.id });
      throw new TimeoutError(`the coordination did not end within ${timeoutMs} ms; it goes on as task ${parent.id}`, { taskId: parent.id });
    }
    return { coordination: settled, results: await this.results(parent.id) };
  }

  async results(coordinationId: string): Promise<Coordination['results']> {
    return Object.fromEntries((await coordinationChildren(this.deps.db, coordinationId)).map(({ slot, child }) => [slot, child]));
  }

  close(): Promise<void> {
    return this.deps.flows.close();
  }

  /** The coordinating task (running from the start: it coordinates) and one queued child per slot. */
  private async create(input: CoordinateInput, slots: string[], timeoutMs: number): Promise<{ parent: TaskRow; children: TaskRow[] }> {
    return this.store.createCoordination(
      {
        id: newId('task'),
        slot: slots[0]!,
        mode: 'coordinate',
        prompt: input.goal,
        priority: PRIORITY,
        timeoutMs,
        metadata: { failurePolicy: input.failurePolicy, slots },
      },
      slots.map((slot) => ({
        id: newId('task'),
        slot,
        mode: 'submit',
        prompt: childPrompt(input.goal, input.tasks[slot]!),
        priority: PRIORITY,
        timeoutMs,
      })),
    );
  }

  /** One flow: the parent job on the coordinations queue, the children's jobs (ids = task ids) on the tasks queue. */
  private async enqueue(parent: TaskRow, children: TaskRow[]): Promise<void> {
    try {
      await this.deps.flows.add({
        name: 'coordinate',
        queueName: queueNames.coordinations,
        data: { taskId: parent.id },
        opts: { jobId: parent.id },
        children: children.map((child) => {
          const job = taskJob(child);
          // A child job that fails (the processor threw) must not hold the parent job up for ever.
          return {
            ...job,
            queueName: queueNames.tasks,
            opts: { ...job.opts, ignoreDependencyOnFailure: true, removeOnComplete: { count: 1_000 }, removeOnFail: { count: 5_000 } },
          };
        }),
      });
    } catch (error) {
      this.deps.logger.error({ err: error, taskId: parent.id }, 'could not enqueue the coordination');
      const why = 'could not be queued: Redis is unavailable';
      await this.store.finishAll(
        children.map((child) => child.id),
        'queued',
        'failed',
        why,
      );
      await this.store.finish(parent.id, { from: 'running', to: 'failed', error: why });
      throw new UnavailableError('the task queue is unavailable; the coordination was not started, try again');
    }
  }

  /**
   * Waits for every child; each end is progress for the caller. Where a child's end is recorded, it is told on the
   * coordination (a `status` event) and fail_fast is applied (see TaskCanceller.afterChildEnded), not here: both hold
   * when nobody waits on the call, and are stored before the coordination can end.
   */
  private async followChildren(
    children: TaskRow[],
    deadline: number,
    options: { signal?: AbortSignal; onProgress?: CoordinationProgress },
  ): Promise<void> {
    let done = 0;
    await Promise.all(
      children.map(async (child) => {
        const ended = await this.deps.tasks.waitForEnd(child.id, Math.max(0, deadline - Date.now()), options.signal);
        if (!ended) return;
        const count = ++done;
        options.onProgress?.(count, children.length, `${child.slot}: ${ended.status} (${count}/${children.length})`);
      }),
    );
  }
}

/** A child's prompt: its own subtask, with the shared goal as context. */
export function childPrompt(goal: string, subtask: string): string {
  return `You are one of several agents working in parallel towards this goal:\n${goal}\n\nYour part:\n${subtask}`;
}
