import { type Database, type EventLog, type EventOwner, type Logger, roleInForce, type RoleRules, tables } from '@mission/shared';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { type HeadlessExit, runHeadless, type StopReason } from './headless/headlessRunner.ts';
import { type HeadlessResult, mapStreamJsonMessage } from './headless/streamJson.ts';
import type { PermissionPromptServer } from './permissions/promptServer.ts';
import { loadRunnableSlot } from './runnableSlot.ts';
import { taskOutcome } from './taskOutcome.ts';

const { tasks } = tables;

export interface TaskProcessorOptions {
  db: Database;
  events: EventLog;
  logger: Logger;
  workerId: string;
  claudeBin: string;
  /** The worker's environment; a slot's `env` is laid over it. */
  baseEnv: Record<string, string>;
  /** Where the CLI asks about tool uses its allow/deny flags did not settle. */
  prompts: PermissionPromptServer;
}

/** Runs one task: claims it, runs claude headless for its slot, streams events, records how it ended. */
export class TaskProcessor {
  constructor(private readonly o: TaskProcessorOptions) {}

  /**
   * `stop` aborts with a {@link StopReason}: cancel (user), shutdown (worker); the timeout is the task's own.
   * Resolves `requeue` when a shutdown stopped the task and put it back to `queued`: the caller returns its job
   * to the queue so another worker runs it.
   */
  async process(taskId: string, stop: AbortSignal): Promise<'done' | 'requeue'> {
    const owner: EventOwner = { kind: 'task', id: taskId };
    const task = await this.claim(taskId);
    if (!task) return this.failIfLost(owner).then(() => 'done');
    const log = this.o.logger.child({ taskId, slot: task.slot });
    await this.o.events.append(owner, { type: 'state', payload: { state: 'running' } });

    const runnable = await loadRunnableSlot(this.o.db, task.slot);
    if ('problem' in runnable) return this.fail(owner, runnable.problem).then(() => 'done');
    const { slot } = runnable;

    const controller = new AbortController();
    const forward = (signal: AbortSignal, reason: () => StopReason) => {
      if (signal.aborted) controller.abort(reason());
      else signal.addEventListener('abort', () => controller.abort(reason()), { once: true });
    };
    forward(stop, () => stop.reason as StopReason);
    forward(AbortSignal.timeout(task.timeoutMs), () => 'timeout');

    let result: HeadlessResult | undefined;
    let claudeSessionId: string | null = null;
    const prompts = this.o.prompts.register(owner, slot);
    const exit: HeadlessExit = await runHeadless({
      bin: this.o.claudeBin,
      args: [...headlessArgs(slot.model, slot.args, (await roleInForce(this.o.db, slot.role)).rules), ...prompts.args],
      cwd: slot.cwd,
      env: { ...this.o.baseEnv, ...slot.env },
      prompt: task.prompt,
      signal: controller.signal,
      onMessage: async (message) => {
        const mapped = mapStreamJsonMessage(message);
        if (mapped.claudeSessionId && !claudeSessionId) {
          claudeSessionId = mapped.claudeSessionId;
          await this.o.db.update(tasks).set({ claudeSessionId }).where(eq(tasks.id, taskId));
        }
        result = mapped.result ?? result;
        for (const event of mapped.events) await this.o.events.append(owner, event);
      },
      onUnparsableLine: (line) => log.warn({ line: line.slice(0, 200) }, 'claude printed a line that is not JSON'),
    }).finally(prompts.unregister);

    if (exit.stoppedBy === 'shutdown') return this.requeue(owner, log);
    const outcome = taskOutcome(exit, result, task.timeoutMs);
    log.info({ status: outcome.status, exitCode: exit.exitCode, stoppedBy: exit.stoppedBy }, 'task ended');
    const [recorded] = await this.o.db
      .update(tasks)
      .set({
        status: outcome.status,
        error: outcome.error,
        result: result?.text ?? null,
        costUsd: result?.costUsd ?? null,
        usage: result?.usage ?? null,
        durationMs: result?.durationMs ?? null,
        numTurns: result?.numTurns ?? null,
        finishedAt: sql`now()`,
        updatedAt: sql`now()`,
      })
      .where(and(eq(tasks.id, taskId), eq(tasks.status, 'running'), eq(tasks.workerId, this.o.workerId)))
      .returning({ id: tasks.id });
    if (!recorded) {
      log.warn('task was settled elsewhere while it ran; outcome not recorded');
      return 'done';
    }
    if (outcome.error && !result) await this.o.events.append(owner, { type: 'error', payload: { code: outcome.status, message: outcome.error } });
    await this.o.events.append(owner, {
      type: 'state',
      payload: { state: outcome.status, ...(outcome.error ? { reason: outcome.error } : {}) },
    });
    return 'done';
  }

  /** running → queued after a shutdown stopped the task; it starts over on the next worker. */
  private async requeue(owner: EventOwner, log: Logger): Promise<'done' | 'requeue'> {
    const [row] = await this.o.db
      .update(tasks)
      .set({ status: 'queued', workerId: null, startedAt: null, claudeSessionId: null, updatedAt: sql`now()` })
      .where(and(eq(tasks.id, owner.id), eq(tasks.status, 'running'), eq(tasks.workerId, this.o.workerId)))
      .returning({ id: tasks.id });
    if (!row) return 'done';
    log.info('worker shutting down: task re-queued');
    await this.o.events.append(owner, { type: 'state', payload: { state: 'queued', reason: 'the worker shut down; re-queued to start over' } });
    return 'requeue';
  }

  /** queued → running, unless a cancel was asked for or another worker has it. */
  private async claim(taskId: string) {
    const [task] = await this.o.db
      .update(tasks)
      .set({ status: 'running', workerId: this.o.workerId, startedAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(eq(tasks.id, taskId), eq(tasks.status, 'queued'), isNull(tasks.cancelRequestedAt)))
      .returning();
    return task;
  }

  /**
   * A job whose task is already `running` comes back only when the worker that ran it stopped answering
   * (BullMQ's stalled-job check). Its prompt was delivered, so it is not run again.
   */
  private async failIfLost(owner: EventOwner): Promise<void> {
    await this.fail(owner, 'the worker running this task was lost; not retried because the prompt had already been delivered', 'worker_lost');
  }

  /** running → failed, with the error as an event; a task in any other status is left as it is. */
  private async fail(owner: EventOwner, error: string, code = 'failed'): Promise<void> {
    const [row] = await this.o.db
      .update(tasks)
      .set({ status: 'failed', error, finishedAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(eq(tasks.id, owner.id), eq(tasks.status, 'running')))
      .returning({ id: tasks.id });
    if (!row) return;
    await this.o.events.append(owner, { type: 'error', payload: { code, message: error } });
    await this.o.events.append(owner, { type: 'state', payload: { state: 'failed', reason: error } });
  }
}

export function headlessArgs(model: string | null, extra: readonly string[], rules: RoleRules): string[] {
  return [
    '-p',
    '--output-format',
    'stream-json',
    '--verbose',
    ...(model ? ['--model', model] : []),
    // The role's rules, enforced by the CLI itself: allowed uses run, denied ones are refused.
    ...(rules.allow.length > 0 ? ['--allowedTools', ...rules.allow] : []),
    ...(rules.deny.length > 0 ? ['--disallowedTools', ...rules.deny] : []),
    ...extra,
  ];
}
