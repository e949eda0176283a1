import {
  type Caller,
  ConflictError,
  isTerminalTaskStatus,
  MissionError,
  type MissionEvent,
  newId,
  parseInput,
  type Task,
  type TaskListQuery,
  type TaskMode,
  TaskEndedError,
  taskInputSchema,
  taskListQuerySchema,
  TimeoutError,
  UnavailableError,
  NotFoundError,
  idempotencyKeySchema,
} from '@mission/contracts';
import {
  enqueueTask,
  type Database,
  type EventLog,
  type ChannelSubscriber,
  type TaskCanceller,
  type TaskJobData,
  TaskStore,
  type TaskRow,
  type Logger,
  taskByIdempotencyKey,
  taskRow,
  taskRows,
  EventWatch,
  waitForEvent,
} from '@mission/store';
import type { Queue } from 'bullmq';
import { budgetRefusal } from './budget.ts';
import { utcDay } from './utcDay.ts';
import { assertAgentMayUseSlot } from './slotAccess.ts';
import { assertWithinTreeBudget } from './treeBudget.ts';
import type { RequestShutdown } from './requestShutdown.ts';
import type { SlotService } from './slots.ts';
import { decodeTaskCursor, encodeTaskCursor } from './taskCursor.ts';

/** How long a cancel of a running task waits for the worker to confirm the process ended. */
const CANCEL_CONFIRM_MS = 5_000;
/** Extra time an ask waits past the task's own timeout, so the worker can report `timed_out` itself. */
const ASK_GRACE_MS = 3_000;

export interface TaskServiceOptions {
  db: Database;
  slots: SlotService;
  queue: Queue<TaskJobData>;
  events: EventLog;
  subscriber: ChannelSubscriber;
  canceller: TaskCanceller;
  taskTimeoutMs: number;
  askTimeoutMs: number;
  maxPromptChars: number;
  /** Ends the waits for a task's end (an ask's) when the API shuts down; the task goes on. */
  shutdown: RequestShutdown;
  logger: Logger;
}

/**
 * What a submit repeated with an Idempotency-Key answers besides the task it replays: that it is a replay, and — when
 * that task ended without success — that a new key is how to run the prompt again.
 */
export function idempotentReplayHint(task: Task, key: string): string {
  const ended = task.status === 'failed' || task.status === 'timed_out' || task.status === 'cancelled';
  return ended
    ? `task ${task.id} of Idempotency-Key '${key}' ended ${task.status}; this replays it and runs nothing: send a new key to run the prompt again`
    : `Idempotency-Key '${key}' was used before: this is its task (${task.status}), not a new one`;
}

export interface SubmitResult {
  task: Task;
  /** False when an earlier submit with the same idempotency key is returned instead. */
  created: boolean;
}

export interface TaskPage {
  tasks: Task[];
  nextCursor: string | null;
}

/** Task operations shared by the REST API and the MCP server. */
export class TaskService {
  private readonly store: TaskStore;

  constructor(private readonly deps: TaskServiceOptions) {
    this.store = new TaskStore(deps);
  }

  /**
   * `parentId`: the session or task of the agent that submits it (a caller with a child token). `caller`: who
   * submits — an agent only to the slots its role allows; an Idempotency-Key is that caller's own.
   */
  async submit(
    draft: unknown,
    options: { mode?: TaskMode; idempotencyKey?: string | undefined; parentId?: string | undefined; caller?: Caller | undefined } = {},
  ): Promise<SubmitResult> {
    return this.submitAs(newId('task'), draft, options);
  }

  /** {@link submit}, the task made (if one is) taking the id `id`. */
  private async submitAs(
    id: string,
    draft: unknown,
    options: {
      mode?: TaskMode;
      askerAnswers?: boolean;
      idempotencyKey?: string | undefined;
      parentId?: string | undefined;
      caller?: Caller | undefined;
    },
  ): Promise<SubmitResult> {
    const mode = options.mode ?? 'submit';
    const input = parseInput(taskInputSchema, draft, 'task');
    const idempotencyKey =
      options.idempotencyKey === undefined ? undefined : parseInput(idempotencyKeySchema, options.idempotencyKey, 'Idempotency-Key');
    if (input.prompt.length > this.deps.maxPromptChars) {
      throw new MissionError(
        'payload_too_large',
        `prompt is ${input.prompt.length} characters; the limit is ${this.deps.maxPromptChars} (MISSION_MAX_PROMPT_CHARS)`,
      );
    }
    // An agent naming a slot that does not exist is told so before its role is checked (no `slot_denied` audit for
    // it); anyone else's submit finds the slot missing in the insert itself (one round trip less).
    if (options.caller?.agent) await this.deps.slots.assertKnown(input.slot, 'task');
    await assertAgentMayUseSlot(this.deps.db, options.caller, input.slot, mode === 'ask' ? 'ask' : 'submit');
    const idempotencyScope = options.caller?.key ?? 'local';

    if (idempotencyKey) {
      const existing = await this.findByIdempotencyKey(idempotencyScope, idempotencyKey);
      if (existing) return { task: this.sameRequestOrConflict(existing, input.slot, input.prompt, mode), created: false };
    }
    if (options.parentId) await assertWithinTreeBudget(this.deps.db, this.deps.events, options.parentId);

    // After the idempotency check: repeating a request that was taken returns its task, budget or not. The daily
    // budget is checked by the insert (`TaskStore.submit`).
    const day = utcDay(new Date());
    const submitted = await this.store.submit(
      {
        id,
        slot: input.slot,
        mode,
        askerAnswers: mode === 'ask' && options.askerAnswers === true,
        prompt: input.prompt,
        priority: input.priority,
        timeoutMs: input.timeoutMs ?? (mode === 'ask' ? this.deps.askTimeoutMs : this.deps.taskTimeoutMs),
        idempotencyScope: idempotencyKey ? idempotencyScope : null,
        idempotencyKey: idempotencyKey ?? null,
        metadata: input.metadata ?? null,
        retry: input.retry,
        maxAttempts: input.maxAttempts,
        parentId: options.parentId ?? null,
      },
      day.start,
      (task) => this.enqueue(task),
    );
    if (submitted.refused === 'unknown_slot') throw await this.deps.slots.unknownSlot(input.slot, 'task');
    if (submitted.refused === 'daily_budget_spent') throw budgetRefusal(input.slot, submitted.dailyBudgetUsd, submitted.spentUsd, day)!;
    if (submitted.refused === 'idempotency_key_taken') {
      // Lost a race with a concurrent submit of the same key.
      const existing = await this.findByIdempotencyKey(idempotencyScope, idempotencyKey!);
      return { task: this.sameRequestOrConflict(existing!, input.slot, input.prompt, mode), created: false };
    }
    return { task: toTask(submitted.task), created: true };
  }

  /** Hands a new task to the workers; one that cannot be queued is failed at once (503). */
  private async enqueue(row: TaskRow): Promise<void> {
    try {
      await enqueueTask(this.deps.queue, row);
    } catch (error) {
      this.deps.logger.error({ err: error, taskId: row.id }, 'could not enqueue task');
      await this.store.finish(row.id, { from: 'queued', to: 'failed', error: 'could not be queued: Redis is unavailable' });
      throw new UnavailableError('the task queue is unavailable; the task was not started, try again');
    }
  }

  /**
   * Submits in ask mode and waits for the task to end, up to its timeout; `onSubmitted` hears of the task first (to
   * follow its events). `askerAnswers`: the asker answers Claude's questions while it waits (they wait as approvals);
   * else Claude is told at once that nobody can answer.
   */
  async ask(
    draft: unknown,
    options: {
      askerAnswers?: boolean;
      idempotencyKey?: string | undefined;
      parentId?: string | undefined;
      caller?: Caller | undefined;
      signal?: AbortSignal;
      onSubmitted?: (submitted: SubmitResult) => Promise<void>;
    } = {},
  ): Promise<Task> {
    const id = newId('task');
    // Subscribed before the task exists, so no event of it is missed: the task is read once, at its end, not also at the start.
    const watch = await EventWatch.open(this.deps.subscriber, this.endChannel(id), isEndEvent);
    let submitted: SubmitResult;
    let ended: Task | undefined;
    try {
      submitted = await this.submitAs(id, draft, {
        mode: 'ask',
        askerAnswers: options.askerAnswers,
        idempotencyKey: options.idempotencyKey,
        parentId: options.parentId,
        caller: options.caller,
      });
      await options.onSubmitted?.(submitted);
      const timeoutMs = submitted.task.timeoutMs + ASK_GRACE_MS;
      ended = submitted.created
        ? await watch.until(() => this.endedTask(id), {
            timeoutMs,
            signals: [options.signal, this.deps.shutdown.signal],
            checkFirst: false,
          })
        : // An Idempotency-Key's earlier task: it may have ended already.
          await this.waitForEnd(submitted.task.id, timeoutMs, options.signal);
    } finally {
      watch.close();
    }
    const { task } = submitted;
    if (ended?.status === 'succeeded') return ended;
    if (ended) throw new TaskEndedError(ended, submitted.created ? undefined : options.idempotencyKey);
    // Before the asker's own signal: the shutdown may have cut the asker's connection too, and the task goes on.
    this.deps.shutdown.assertNotBegun(
      options.idempotencyKey === undefined
        ? `task ${task.id} goes on: read it for its answer`
        : `task ${task.id} goes on: ask again with the same Idempotency-Key to wait for it`,
      { taskId: task.id },
    );
    const askerGone = options.signal?.aborted === true;
    // An asker that went away with an Idempotency-Key may ask again with it (a dropped connection): that repeat waits for
    // this very task, which goes on. Without one, nobody waits for the task any more: it ends, as an ask that timed out.
    if (askerGone && options.idempotencyKey !== undefined) {
      this.deps.logger.info({ taskId: task.id }, 'the asker went away; its task goes on for a repeat of its Idempotency-Key');
      throw new MissionError(
        'conflict',
        `the asker went away; task ${task.id} goes on: ask again with the same Idempotency-Key to wait for it`,
        {
          taskId: task.id,
        },
      );
    }
    await this.cancel(task.id).catch((error) =>
      this.deps.logger.warn({ err: error, taskId: task.id }, 'could not cancel a task nobody waits for any more'),
    );
    if (askerGone) throw new MissionError('task_cancelled', `the asker went away: task ${task.id} was cancelled`, { taskId: task.id });
    throw new TimeoutError(`no answer within ${task.timeoutMs} ms; the task was cancelled`, { taskId: task.id });
  }

  async get(id: string): Promise<Task> {
    const row = await taskRow(this.deps.db, id);
    if (!row) throw new NotFoundError('task', id);
    return toTask(row);
  }

  async list(query: unknown): Promise<TaskPage> {
    const q: TaskListQuery = parseInput(taskListQuerySchema, query, 'query');
    const after = q.cursor ? decodeTaskCursor(q.cursor) : undefined;
    const rows = await taskRows(this.deps.db, { status: q.status, slot: q.slot, after, limit: q.limit + 1 });
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return {
      tasks: page.map(toTask),
      nextCursor: rows.length > q.limit && last ? encodeTaskCursor({ createdAt: last.createdAt, id: last.id }) : null,
    };
  }

  /**
   * Cancels a task: a queued one at once; a running one by asking its worker to kill the process, then
   * waiting for it to confirm. Cancelling a cancelled task is a no-op; a finished one is a conflict.
   */
  async cancel(id: string): Promise<Task> {
    const task = await this.get(id);
    if (task.status === 'cancelled') return task;
    if (isTerminalTaskStatus(task.status)) throw new ConflictError(`task ${id} already ended: ${task.status}`, { status: task.status });
    const request = await this.deps.canceller.request(id);
    if (request === 'cancelled') {
      await this.deps.queue.remove(id).catch(() => {
        // a job left in the queue is skipped by the worker that takes it: its task is cancelled
      });
      // A coordination's child cancelled while queued ends there: its fail_fast siblings are stopped here.
      await this.deps.canceller.afterChildEnded(id);
      return this.get(id);
    }
    return (await this.waitForEnd(id, CANCEL_CONFIRM_MS)) ?? this.get(id);
  }

  /**
   * Resolves with the task once it is in a terminal state, or `undefined` after `timeoutMs`, on abort or once the API
   * shuts down.
   */
  async waitForEnd(id: string, timeoutMs: number, signal?: AbortSignal): Promise<Task | undefined> {
    return waitForEvent({
      subscriber: this.deps.subscriber,
      channel: this.endChannel(id),
      matches: isEndEvent,
      check: () => this.endedTask(id),
      timeoutMs,
      signals: [signal, this.deps.shutdown.signal],
    });
  }

  /** The task if it has ended. */
  private async endedTask(id: string): Promise<Task | undefined> {
    const task = await this.get(id);
    return isTerminalTaskStatus(task.status) ? task : undefined;
  }

  private endChannel(id: string): string {
    return this.deps.events.channel({ kind: 'task', id });
  }

  private async findByIdempotencyKey(scope: string, key: string) {
    return taskByIdempotencyKey(this.deps.db, scope, key);
  }

  private sameRequestOrConflict(row: TaskRow, slot: string, prompt: string, mode: TaskMode): Task {
    if (row.slot !== slot || row.prompt !== prompt || row.mode !== mode) {
      throw new ConflictError(`Idempotency-Key was already used for a different request (task ${row.id})`, { taskId: row.id });
    }
    return toTask(row);
  }
}

/** A task's event that says it ended. */
function isEndEvent(event: MissionEvent): boolean {
  return event.type === 'state' && isTerminalTaskStatus(event.payload.state);
}

export function toTask(row: TaskRow): Task {
  return {
    id: row.id,
    slot: row.slot,
    mode: row.mode as TaskMode,
    status: row.status as Task['status'],
    prompt: row.prompt,
    priority: row.priority,
    timeoutMs: row.timeoutMs,
    result: row.result,
    error: row.error,
    costUsd: row.costUsd,
    usage: row.usage,
    durationMs: row.durationMs,
    numTurns: row.numTurns,
    claudeSessionId: row.claudeSessionId,
    workerId: row.workerId,
    parentId: row.parentId,
    retry: row.retry as Task['retry'],
    maxAttempts: row.maxAttempts,
    attempts: row.attempts,
    idempotencyKey: row.idempotencyKey,
    metadata: row.metadata,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}
