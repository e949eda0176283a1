import { and, count, eq, getTableColumns, inArray, isNull, ne, notExists, type Placeholder, type SQL, sql } from 'drizzle-orm';
import { revokeAgentTokens } from '../agentTokens.ts';
import { builtOnce, type Database, hot, PreparedShapes } from '../db/database.ts';
import { insertSelectRow } from '../db/insertSelectRow.ts';
import { type RoleVersionRow, slotPauses, slots, tasks } from '../db/schema.ts';
import {
  type EventFence,
  type EventLog,
  type EventRecorder,
  draftPlaceholders,
  draftValues,
  retryingSeqConflicts,
  storedEvents,
  storedEventsOf,
} from '../eventLog.ts';
import { activeRoleOfSlot, slotWithRole, type SlotWithRole } from '../permissions/roleStore.ts';
import { slotBudgetSince } from '../usage/spendQueries.ts';
import type { EventOwner, MissionEventDraft } from '@mission/contracts';
import { decideInterruptedTask, type Interruption } from '@mission/contracts';
import type { TaskRetryPolicy, TaskStatus } from '@mission/contracts';
import { assertTaskMove } from '@mission/contracts';

export type TaskRow = typeof tasks.$inferSelect;
export type NewTaskRow = Omit<typeof tasks.$inferInsert, 'status'>;
/** What a submit gives a new task (`submittedColumns`); the other columns take their defaults. */
export type SubmittedTaskRow = Pick<NewTaskRow, Exclude<(typeof submittedColumns)[number], 'status'>>;
export type EndedTaskStatus = Exclude<TaskStatus, 'queued' | 'running'>;

/**
 * A worker's hold on a task it claimed: its writes to the task are guarded by the worker and the attempt
 * (the claim's fencing token), so a worker cut off while the fleet took the task back writes nothing.
 */
export interface TaskLease {
  id: string;
  workerId: string;
  attempts: number;
}

/** How a run ended, as recorded on the task; `errorEvent` adds an `error` event before the `state` one. */
export interface RunEnding {
  status: EndedTaskStatus;
  error: string | null;
  outcome?: Pick<typeof tasks.$inferInsert, 'result' | 'costUsd' | 'usage' | 'durationMs' | 'numTurns'>;
  errorEvent?: { code: string; message: string };
  /** The run's last output not stored yet (`EventAppender.drain`): stored first, in the same transaction. */
  output?: readonly MissionEventDraft[];
}

/** A task claimed, with the slot it runs in and that slot's role in force when they were read with it (undefined: the slot is gone, or was not read). */
export interface ClaimedTask {
  task: TaskRow;
  slot?: SlotWithRole | undefined;
}

/** What a submit came to: the task queued, or why none was. */
export type SubmitOutcome =
  | { task: TaskRow; refused?: undefined }
  | ({ task?: undefined } & (
      | { refused: 'unknown_slot' }
      | { refused: 'idempotency_key_taken' }
      /** What the slot's tasks and sessions have spent since the day's start, against its daily budget. */
      | { refused: 'daily_budget_spent'; dailyBudgetUsd: number; spentUsd: number }
    ));

/** What a claim under a slot's limit came to. */
export type SlotClaim = ClaimedTask | { later: string; untilMs?: number } | { skip: string };

const owner = (id: string): EventOwner => ({ kind: 'task', id });
const stateEvent = (state: TaskStatus, reason?: string | null): MissionEventDraft => ({
  type: 'state',
  payload: { state, ...(reason ? { reason } : {}) },
});

/**
 * The tasks state machine: the one writer of the tasks table. Each transition is one transaction that
 * makes the guarded row update and stores the `state` event telling it (published once committed), and
 * resolves whether it applied; the moves allowed are those of {@link taskTransitions}.
 */
export class TaskStore {
  /** Built at the first submit and run from then on: building it costs more CPU than running it. */
  private submitStatement: ReturnType<typeof submitStatement> | undefined;
  private claimStatement: ReturnType<typeof claimStatement> | undefined;
  /** {@link complete}'s statements, by number of events and whether an outcome is written. */
  private readonly completeStatements = new PreparedShapes<Awaited<ReturnType<ReturnType<typeof completeStatement>['execute']>>>(
    'task_complete',
  );

  constructor(private readonly deps: { db: Database; events: EventLog }) {}

  /**
   * → queued: a new task with its `queued` event, if its slot exists and has not spent its daily budget since
   * `budgetDayStart` (its tasks and sessions: `slotBudgetSince`) and no task holds its idempotency key yet. One
   * statement, so one round trip: the slot and its spend are read by the insert that depends on them, which
   * stores the event only if it inserted the row. Work already queued or running goes on, so two submits at once
   * can both pass a budget with little left, as two statements could. `handOn` (the enqueue) runs once the task is
   * stored, while its event is published: one round trip less before the submit answers.
   */
  async submit(values: SubmittedTaskRow, budgetDayStart: Date, handOn?: (task: TaskRow) => Promise<void>): Promise<SubmitOutcome> {
    this.submitStatement ??= submitStatement(this.deps);
    const { statement, row: rowValues } = this.submitStatement;
    const placeholders = { ...rowValues({ ...values, status: 'queued' }), budgetSince: budgetDayStart.toISOString() };
    const [row] = await retryingSeqConflicts(() => statement.execute(placeholders));
    if (!row) return { refused: 'unknown_slot' };
    if (row.task) {
      const task = row.task as TaskRow;
      await Promise.all([this.deps.events.publish(storedEventsOf(row.events)), handOn?.(task)]);
      return { task };
    }
    if (row.budget && row.spent !== null && row.spent >= row.budget)
      return { refused: 'daily_budget_spent', dailyBudgetUsd: row.budget, spentUsd: row.spent };
    return { refused: 'idempotency_key_taken' };
  }

  /** A coordination: its coordinating task, `running` from the start (it coordinates), and one `queued` child per slot. */
  async createCoordination(parent: NewTaskRow, children: readonly NewTaskRow[]): Promise<{ parent: TaskRow; children: TaskRow[] }> {
    return this.deps.events.transaction(async (tx, record) => {
      const [created] = await tx
        .insert(tasks)
        .values({ ...parent, status: 'running', startedAt: sql`now()` })
        .returning();
      const rows = await tx
        .insert(tasks)
        .values(children.map((child) => ({ ...child, status: 'queued', parentId: created!.id })))
        .returning();
      record(owner(created!.id), stateEvent('running'));
      for (const child of rows) record(owner(child.id), stateEvent('queued'));
      return { parent: created!, children: rows };
    });
  }

  /**
   * queued → running on `workerId` (one more attempt), with its `running` event, unless a cancel was
   * asked for or it was taken. Only tasks of `servedSlots` (undefined = all) whose slot has no
   * `maxConcurrency`: a slot with a limit is claimed by {@link claimWithinSlotLimit}. Resolves the task with its
   * slot and the slot's role in force, read in the same statement. The `running` event, stored with the claim, is
   * published without holding the run back for it (`published` resolves once it went out, or failed); a publish that
   * fails is told to `unpublished` (a follower reads the event from the log when the task's next one arrives, as for
   * any event missed on the wire).
   */
  async claim(
    taskId: string,
    workerId: string,
    servedSlots: readonly string[] | undefined,
    unpublished: (error: unknown) => void,
  ): Promise<(ClaimedTask & { published: Promise<void> }) | null> {
    this.claimStatement ??= claimStatement(this.deps);
    const statement = this.claimStatement;
    const [row] = await retryingSeqConflicts(() =>
      statement.execute({ taskId, workerId, servedSlots: servedSlots ? JSON.stringify(servedSlots) : null }),
    );
    if (!row) return null;
    // Sent now, on the connection every later event of the task is published on: they go out after it.
    const published = this.deps.events.publish(storedEventsOf(row.events)).catch(unpublished);
    return {
      task: row.task as TaskRow,
      slot: row.slot ? slotWithRole(row.slot, row.active as RoleVersionRow | null) : undefined,
      published,
    };
  }

  /** {@link claim} under a lock on the slot, counting its running tasks, so two workers never both take the last place. */
  async claimWithinSlotLimit(taskId: string, workerId: string, slotId: string): Promise<SlotClaim> {
    return this.deps.events.transaction(async (tx, record) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`mission-slot:${slotId}`}))`);
      const [slot] = await tx.select({ limit: slots.maxConcurrency }).from(slots).where(eq(slots.id, slotId));
      // A coordinating task is `running` while its children run: it takes no place of its own.
      const [running] = await tx
        .select({ n: count() })
        .from(tasks)
        .where(and(eq(tasks.slot, slotId), eq(tasks.status, 'running'), ne(tasks.mode, 'coordinate')));
      if (slot?.limit && (running?.n ?? 0) >= slot.limit)
        return { later: `slot '${slotId}' is at its limit of ${slot.limit} running tasks` };
      const task = await takeQueued(tx, record, taskId, workerId);
      return task ? { task } : { skip: `task ${taskId} was taken or cancelled meanwhile` };
    });
  }

  /**
   * Notes, while the lease holds, that the prompt is about to reach Claude (the retry policy asks) in the Claude
   * session `claudeSessionId` (chosen by the worker and given to the CLI, so it is written here, not in a write of
   * its own once the CLI reports it); false when the lease no longer holds.
   */
  async markPromptDelivered(lease: TaskLease, claudeSessionId: string): Promise<boolean> {
    const [row] = await promptDelivered(this.deps.db).execute({ ...lease, claudeSessionId });
    return Boolean(row);
  }

  /** A fence for a run's own events: stored only while its lease holds (the row locked for share meanwhile). */
  fence(lease: TaskLease): EventFence {
    return {
      name: 'task_lease',
      condition: leaseHeld(this.deps.db),
      values: { leaseId: lease.id, leaseWorkerId: lease.workerId, leaseAttempts: lease.attempts },
    };
  }

  /**
   * The Claude session a task's agent reports, while the lease holds, when it is not the one {@link markPromptDelivered}
   * wrote (for the record; no state change).
   */
  async recordClaudeSession(lease: TaskLease, claudeSessionId: string): Promise<void> {
    await hot(this.deps.db.update(tasks).set({ claudeSessionId }).where(held(lease)));
  }

  /** What the run's claude has cost so far (its metrics exports), on the row while the lease holds: the run's figures until its result's. */
  async recordRunningCost(lease: TaskLease, costUsd: number, usage: Record<string, number>): Promise<void> {
    await this.deps.db.update(tasks).set({ costUsd, usage }).where(held(lease));
  }

  /** running → how the run ended, while the lease holds; false when the task was settled elsewhere meanwhile. */
  async complete(lease: TaskLease, ending: RunEnding): Promise<boolean> {
    assertTaskMove('running', ending.status);
    const drafts: MissionEventDraft[] = [
      ...(ending.output ?? []),
      ...(ending.errorEvent ? [{ type: 'error' as const, payload: ending.errorEvent }] : []),
      stateEvent(ending.status, ending.error),
    ];
    const values = {
      id: lease.id,
      workerId: lease.workerId,
      attempts: lease.attempts,
      status: ending.status,
      error: ending.error,
      ...(ending.outcome ? outcomeValues(ending.outcome) : {}),
      ...draftValues(drafts),
    };
    const build = () => completeStatement(this.deps, drafts.length, ending.outcome !== undefined);
    const key = `${drafts.length}:${ending.outcome ? 'outcome' : 'none'}`;
    const [row] = await retryingSeqConflicts(() => this.completeStatements.execute(key, drafts.length, build, values));
    if (!row) return false;
    await this.deps.events.publish(storedEventsOf(row.events));
    return true;
  }

  /**
   * running → queued after a usage limit stopped the run, while the lease holds: the attempt is given back (a
   * limit is no failure of the task's), and `continueSession` (the run had done work) is kept for the next run to
   * go on with instead of starting the prompt again. False when the task was settled elsewhere meanwhile.
   */
  async waitForLimit(lease: TaskLease, reason: string, continueSession: string | null): Promise<boolean> {
    assertTaskMove('running', 'queued');
    return this.deps.events.transaction(async (tx, record) => {
      const [row] = await tx
        .update(tasks)
        .set({
          status: 'queued',
          workerId: null,
          attempts: sql`${tasks.attempts} - 1`,
          startedAt: null,
          promptDeliveredAt: null,
          claudeSessionId: continueSession,
          updatedAt: sql`now()`,
        })
        .where(held(lease))
        .returning({ id: tasks.id });
      if (row) record(owner(lease.id), stateEvent('queued', reason));
      return Boolean(row);
    });
  }

  /** Asks a task to stop: a worker about to claim it skips it. No state change of its own. */
  async requestCancel(taskId: string): Promise<void> {
    await this.deps.db
      .update(tasks)
      .set({ cancelRequestedAt: sql`now()` })
      .where(and(eq(tasks.id, taskId), isNull(tasks.cancelRequestedAt)));
  }

  /** Ends a task that is still in `from` (a queued task cancelled, one that could not be queued, …), whoever runs it. */
  async finish(taskId: string, change: { from: 'queued' | 'running'; to: 'failed' | 'cancelled'; error: string }): Promise<boolean> {
    return (await this.finishAll([taskId], change.from, change.to, change.error)).length > 0;
  }

  /** {@link finish} for several tasks at once (a coordination that could not be queued); resolves the ids it ended. */
  async finishAll(taskIds: readonly string[], from: 'queued' | 'running', to: 'failed' | 'cancelled', error: string): Promise<string[]> {
    assertTaskMove(from, to);
    if (taskIds.length === 0) return [];
    return this.deps.events.transaction(async (tx, record) => {
      const rows = await tx
        .update(tasks)
        .set({ status: to, error, finishedAt: sql`now()`, updatedAt: sql`now()` })
        .where(and(inArray(tasks.id, [...taskIds]), eq(tasks.status, from)))
        .returning({ id: tasks.id });
      for (const { id } of rows) record(owner(id), stateEvent(to, error));
      return rows.map(({ id }) => id);
    });
  }

  /** running → the coordination's outcome, with every child's result; false when it was settled already. */
  async settleCoordination(taskId: string, outcome: { status: EndedTaskStatus; error: string | null; results: unknown }): Promise<boolean> {
    assertTaskMove('running', outcome.status);
    return this.deps.events.transaction(async (tx, record) => {
      const [row] = await tx
        .update(tasks)
        .set({
          status: outcome.status,
          error: outcome.error,
          result: JSON.stringify(outcome.results),
          finishedAt: sql`now()`,
          updatedAt: sql`now()`,
        })
        .where(and(eq(tasks.id, taskId), eq(tasks.status, 'running')))
        .returning({ id: tasks.id });
      if (row) record(owner(taskId), stateEvent(outcome.status, outcome.error));
      return Boolean(row);
    });
  }

  /**
   * Settles a task whose run its worker cut short (lost, or shut down past its grace period): running →
   * queued or failed by {@link decideInterruptedTask}, with the events that say why, and its agent's
   * token revoked (it dies with the run, also when the task runs again). Acts only while the task is
   * still `running` on that worker; resolves the re-queued row (its job must be offered again), or null.
   */
  async settleInterrupted(taskId: string, how: Interruption): Promise<TaskRow | null> {
    const stillThere = and(eq(tasks.id, taskId), eq(tasks.status, 'running'), eq(tasks.workerId, how.workerId));
    let settled = false;
    const requeued = await this.deps.events.transaction(async (tx, record) => {
      const [task] = await tx.select().from(tasks).where(stillThere).for('update');
      settled = task !== undefined;
      if (!task) return null;
      const decision = decideInterruptedTask(
        {
          retry: task.retry as TaskRetryPolicy,
          attempts: task.attempts,
          maxAttempts: task.maxAttempts,
          promptDelivered: task.promptDeliveredAt !== null,
        },
        how,
      );
      await revokeAgentTokens(tx, [taskId]);
      if (decision.action === 'requeue') {
        const [row] = await tx
          .update(tasks)
          .set({ status: 'queued', workerId: null, startedAt: null, promptDeliveredAt: null, claudeSessionId: null, updatedAt: sql`now()` })
          .where(stillThere)
          .returning();
        if (row) record(owner(taskId), stateEvent('queued', decision.reason));
        return row ?? null;
      }
      const [row] = await tx
        .update(tasks)
        .set({ status: 'failed', error: decision.reason, finishedAt: sql`now()`, updatedAt: sql`now()` })
        .where(stillThere)
        .returning({ id: tasks.id });
      if (row)
        record(
          owner(taskId),
          { type: 'error', payload: { code: decision.code, message: decision.reason } },
          stateEvent('failed', decision.reason),
        );
      return null;
    });
    // Once committed: an API process that looks the token up again finds it revoked.
    if (settled) await this.deps.events.announceRevokedTokens({ owners: [taskId] });
    return requeued;
  }
}

/** The lease still holds: the task runs on that worker, in that attempt. */
/** {@link TaskStore.markPromptDelivered}'s update, the lease and the session placeholders (`id`, `workerId`, `attempts`, `claudeSessionId`). */
const promptDelivered = builtOnce((db) =>
  db
    .update(tasks)
    .set({ promptDeliveredAt: sql`now()`, claudeSessionId: sql`${sql.placeholder('claudeSessionId')}` })
    .where(held({ id: sql.placeholder('id'), workerId: sql.placeholder('workerId'), attempts: sql.placeholder('attempts') }))
    .returning({ id: tasks.id })
    .prepare('task_prompt_delivered'),
);

/** {@link TaskStore.fence}'s condition: the lease (placeholders `leaseId`, `leaseWorkerId`, `leaseAttempts`) holds, its row locked for share. */
const leaseHeld = builtOnce(
  (db) =>
    sql`exists (${db
      .select({ id: tasks.id })
      .from(tasks)
      .where(
        held({ id: sql.placeholder('leaseId'), workerId: sql.placeholder('leaseWorkerId'), attempts: sql.placeholder('leaseAttempts') }),
      )
      .for('share')})`,
);

/** The columns of a run's outcome, as {@link completeStatement}'s placeholders take them. */
function outcomeValues(outcome: NonNullable<RunEnding['outcome']>): Record<string, unknown> {
  return {
    result: outcome.result ?? null,
    costUsd: outcome.costUsd ?? null,
    usage: outcome.usage == null ? null : tasks.usage.mapToDriverValue(outcome.usage),
    durationMs: outcome.durationMs ?? null,
    numTurns: outcome.numTurns ?? null,
  };
}

/**
 * {@link TaskStore.complete}'s statement with placeholders (the lease: `id`, `workerId`, `attempts`; `status`, `error`,
 * with `withOutcome` the {@link outcomeValues}; `eventCount` events' {@link draftPlaceholders}). One statement, so one
 * round trip and no transaction around it: the row's update and, if it changed the row, the events that tell it.
 */
function completeStatement({ db, events }: { db: Database; events: EventLog }, eventCount: number, withOutcome: boolean) {
  const p = sql.placeholder;
  const outcome = withOutcome
    ? {
        result: sql`${p('result')}::text`,
        // A run without a result (stopped, timed out, its claude killed) keeps what its metrics told it had cost.
        costUsd: sql`coalesce(${p('costUsd')}::double precision, ${tasks.costUsd})`,
        usage: sql`coalesce(${p('usage')}::jsonb, ${tasks.usage})`,
        durationMs: sql`${p('durationMs')}::integer`,
        numTurns: sql`${p('numTurns')}::integer`,
      }
    : {};
  const changed = db.$with('changed').as(
    db
      .update(tasks)
      .set({ ...outcome, status: sql`${p('status')}`, error: sql`${p('error')}`, finishedAt: sql`now()`, updatedAt: sql`now()` })
      .where(held({ id: p('id'), workerId: p('workerId'), attempts: p('attempts') }))
      .returning({ id: tasks.id }),
  );
  const stored = events.insertAfter(changed, { owner: { kind: 'task', id: p('id') }, drafts: draftPlaceholders(eventCount) });
  return db.with(changed, stored).select({ row: changed._.selectedFields, events: storedEvents }).from(changed);
}

/** A lease's guard; its fields may be placeholders, in a statement built once. */
function held(lease: { [K in keyof TaskLease]: TaskLease[K] | Placeholder }): SQL {
  return and(eq(tasks.id, lease.id), eq(tasks.status, 'running'), eq(tasks.workerId, lease.workerId), eq(tasks.attempts, lease.attempts))!;
}

/** No pause of the task's slot is on (a usage limit): its tasks wait for the reset. */
const slotNotPaused = sql`not exists (select 1 from ${slotPauses} where ${slotPauses.slot} = ${tasks.slot} and ${slotPauses.pausedUntil} > now())`;

/**
 * queued → running in `tx`, unless the task's slot is paused. The start time is the UPDATE's own (statement_timestamp), not the
 * transaction's: under the slot lock the transaction may have begun before the slot's previous task finished.
 */
async function takeQueued(tx: Database, record: EventRecorder, taskId: string, workerId: string): Promise<TaskRow | null> {
  const [task] = await hot(takeQueuedUpdate(tx, taskId, workerId).returning());
  if (task) record(owner(taskId), stateEvent('running'));
  return task ?? null;
}

/**
 * The update of queued → running (`where` narrowing which tasks), for {@link takeQueued} and the one-statement claim
 * (whose task and worker are placeholders).
 */
function takeQueuedUpdate(db: Database, taskId: string | Placeholder, workerId: string | Placeholder, where?: SQL) {
  assertTaskMove('queued', 'running');
  return db
    .update(tasks)
    .set({
      status: 'running',
      workerId: sql`${workerId}`,
      attempts: sql`${tasks.attempts} + 1`,
      startedAt: sql`statement_timestamp()`,
      updatedAt: sql`now()`,
    })
    .where(and(eq(tasks.id, taskId), eq(tasks.status, 'queued'), isNull(tasks.cancelRequestedAt), slotNotPaused, where));
}

/** The columns a submit gives a task (`NewTaskRow` and its status); each other column takes its default. */
const submittedColumns = [
  'id',
  'slot',
  'mode',
  'askerAnswers',
  'status',
  'prompt',
  'priority',
  'timeoutMs',
  'idempotencyScope',
  'idempotencyKey',
  'metadata',
  'retry',
  'maxAttempts',
  'parentId',
] as const;

/**
 * {@link TaskStore.submit}'s statement, built once with placeholders (the row's columns, `budgetSince`) and prepared:
 * a CTE reading the slot's budget and what it has spent since `budgetSince`, the insert of the row when the slot
 * exists and its budget is not spent (`on conflict do nothing` for a taken idempotency key), and the `queued`
 * event stored only if the row was inserted. Selects the budget and spend with the row inserted (none: no such slot).
 */
function submitStatement({ db, events }: { db: Database; events: EventLog }) {
  const row = insertSelectRow(tasks, submittedColumns);
  const budget = db.$with('slot_budget').as(slotBudgetSince(db, sql.placeholder('slot'), sql.placeholder('budgetSince')));
  const withinBudget = sql`coalesce(${budget.budget}, 0) = 0 or ${budget.spent} < ${budget.budget}`;
  const inserted = db.$with('changed').as(
    db
      .insert(tasks)
      .select(sql`select ${row.select} from ${budget} where ${withinBudget}`)
      .onConflictDoNothing({ target: [tasks.idempotencyScope, tasks.idempotencyKey] })
      .returning(),
  );
  const stored = events.insertAfter(inserted, { owner: { kind: 'task', id: sql.placeholder('id') }, drafts: [stateEvent('queued')] });
  const statement = db
    .with(budget, inserted, stored)
    .select({ budget: budget.budget, spent: budget.spent, task: inserted._.selectedFields, events: storedEvents })
    .from(budget)
    .leftJoin(inserted, sql`true`)
    .prepare('task_submit');
  return { statement, row: row.values };
}

/**
 * {@link TaskStore.claim}'s statement, built once with placeholders (`taskId`, `workerId`, `servedSlots`: a JSON
 * array of slot ids, or null for all) and prepared. One statement, so one round trip and no transaction around it: the update, its
 * `running` event (stored only if the update took the task), and the slot the task runs in with its role in force.
 */
function claimStatement({ db, events }: { db: Database; events: EventLog }) {
  const servedSlots = sql.placeholder('servedSlots');
  const served = sql`(${servedSlots}::jsonb is null or ${tasks.slot} in (select jsonb_array_elements_text(${servedSlots}::jsonb)))`;
  const unlimited = notExists(
    db
      .select({ one: sql`1` })
      .from(slots)
      .where(and(eq(slots.id, tasks.slot), sql`${slots.maxConcurrency} is not null`)),
  );
  const taskId = sql.placeholder('taskId');
  const claimed = db.$with('claimed').as(takeQueuedUpdate(db, taskId, sql.placeholder('workerId'), and(served, unlimited)).returning());
  const stored = events.insertAfter(claimed, { owner: { kind: 'task', id: taskId }, drafts: [stateEvent('running')] });
  const active = activeRoleOfSlot(db);
  return db
    .with(claimed, stored)
    .select({ task: claimed._.selectedFields, slot: getTableColumns(slots), active: active._.selectedFields, events: storedEvents })
    .from(claimed)
    .leftJoin(slots, eq(slots.id, claimed.slot))
    .leftJoinLateral(active, sql`true`)
    .prepare('task_claim');
}
