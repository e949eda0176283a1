import type { Queue } from 'bullmq';
import { and, asc, count, desc, eq, isNotNull, lt, ne, sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { events, tasks, workers } from '../db/schema.ts';
import type { EventLog } from '../eventLog.ts';
import type { Logger } from '../logger.ts';
import type { WorkerLiveness } from './liveness.ts';
import type { ApprovalStore } from '../permissions/approvalStore.ts';
import { type CoordinationJobData, enqueueTask, type TaskJobData } from '../queues.ts';
import type { SessionHandover } from '../sessions/sessionHandover.ts';
import { SessionStore } from '../sessions/sessionStore.ts';
import { howToResume, terminalTaskStatuses } from '@mission/contracts';
import type { WorkerState } from '@mission/contracts';
import type { TaskCanceller } from '../taskCanceller.ts';
import { settleInterruptedTask, type TaskRow } from './interruptedTask.ts';

/** Queued tasks checked for a missing job per sweep. */
const ORPHAN_SCAN_LIMIT = 500;
/** Lost workers stay listed this long, then their rows go. */
const LOST_WORKER_RETENTION = '1 day';

export interface FleetRecoveryOptions {
  db: Database;
  events: EventLog;
  approvals: ApprovalStore;
  taskQueue: Queue<TaskJobData>;
  /** Where a coordination's settling job goes (the parent jobs of the coordinations' flows). */
  coordinationQueue: Queue<CoordinationJobData>;
  /** Resumes the lost sessions of `autoResume` slots on another worker. */
  handover: SessionHandover;
  /** Applies a coordination's fail_fast when a child of it is failed here. */
  canceller: TaskCanceller;
  logger: Logger;
  /** A worker without a heartbeat for this long is lost. */
  workerTimeoutMs: number;
  /** The Redis witness of heartbeats: a worker it still sees is not declared lost. */
  liveness: WorkerLiveness;
  /** A task job's lock (MISSION_JOB_LOCK_MS): a running task whose job nobody holds for longer than this is settled. */
  jobLockMs: number;
}

/**
 * Notices lost workers and cleans up after them: their sessions become `lost` (those of `autoResume` slots are
 * resumed on another worker), their running tasks are
 * re-queued or failed by the task's retry policy ({@link decideInterruptedTask}), approvals waiting on them expire. Also puts back the
 * job of a queued task whose job vanished (Redis restarted without persistence), and the resume job of a handed-over
 * session that has none, settles a running task
 * whose job nobody holds any more, and settles a coordination whose children have all ended. Every API and
 * worker process sweeps; each step is a conditional update, so exactly one process acts on each row.
 */
export class FleetRecovery {
  /** Running tasks this process saw without an active job, and since when (its own evidence, per sweep). */
  private readonly joblessSince = new Map<string, number>();

  constructor(private readonly deps: FleetRecoveryOptions) {}

  /** Sweeps now and then every `intervalMs` until the returned function is called (it waits for a sweep under way). */
  start(intervalMs: number): () => Promise<void> {
    let running: Promise<void> | undefined;
    const tick = () => {
      running ??= this.sweep()
        .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'fleet recovery sweep failed'))
        .finally(() => (running = undefined));
    };
    const timer = setInterval(tick, intervalMs);
    timer.unref();
    tick();
    return async () => {
      clearInterval(timer);
      await running;
    };
  }

  async sweep(): Promise<void> {
    const stale = await this.deps.db
      .select({ id: workers.id })
      .from(workers)
      .where(and(ne(workers.state, 'lost'), this.heartbeatOlderThanTimeout()));
    for (const { id } of stale) await this.declareLost(id);
    await this.deps.db
      .delete(workers)
      .where(and(eq(workers.state, 'lost'), lt(workers.lostAt, sql`now() - ${LOST_WORKER_RETENTION}::interval`)));
    await this.requeueOrphans();
    await this.deps.handover.requeueStranded(this.deps.workerTimeoutMs);
    await this.settleJoblessRuns();
    await this.settleStrandedCoordinations();
  }

  /**
   * True when the worker is gone: silent past the timeout (then declared lost here), lost already, or
   * not registered at all (then its running tasks are recovered here: nobody else will).
   */
  async isLost(workerId: string): Promise<boolean> {
    const [row] = await this.deps.db
      .select({ state: workers.state, stale: sql<boolean>`${this.heartbeatOlderThanTimeout()}` })
      .from(workers)
      .where(eq(workers.id, workerId));
    if (!row) {
      await this.recoverTasksOf(workerId);
      return true;
    }
    if (row.state === 'lost') return true;
    if (!row.stale) return false;
    // Declared here, or by another process at the same time, or not at all (Redis still sees it).
    await this.declareLost(workerId);
    const [now] = await this.deps.db.select({ state: workers.state }).from(workers).where(eq(workers.id, workerId));
    return now?.state === 'lost';
  }

  /**
   * Marks a silent worker lost and recovers what it held; true when it was declared lost here. Only the
   * process whose update lands does the recovery; a worker that heartbeated in the meantime is left alone,
   * and so is one whose Postgres heartbeat is stale while Redis still saw it beat (or Redis cannot be asked):
   * a Postgres outage is no evidence that a worker is gone. Unless `restarted`: a new process starting under
   * the same id (a restarted container) means the old one is gone, however recent its heartbeat.
   */
  async declareLost(workerId: string, why: 'silent' | 'restarted' = 'silent'): Promise<boolean> {
    if (why === 'silent') {
      const witness = await this.deps.liveness.witness(workerId);
      if (witness !== 'gone') {
        const because = witness === 'alive' ? 'Redis saw it beat within the timeout' : `Redis cannot be asked (${witness.unknown.message})`;
        this.deps.logger.warn({ workerId }, `worker's Postgres heartbeat is stale, but it is not declared lost: ${because}`);
        return false;
      }
    }
    const [row] = await this.deps.db
      .update(workers)
      .set({ state: 'lost' satisfies WorkerState, lostAt: sql`now()` })
      .where(and(eq(workers.id, workerId), ne(workers.state, 'lost'), why === 'silent' ? this.heartbeatOlderThanTimeout() : undefined))
      .returning({ heartbeatAt: workers.heartbeatAt });
    if (!row) return false;
    const silentFor = why === 'silent' ? `no heartbeat since ${row.heartbeatAt.toISOString()}` : 'a new process started under its id';
    this.deps.logger.warn({ workerId, heartbeatAt: row.heartbeatAt }, 'worker lost: recovering its sessions and tasks');

    const lostSessions = await new SessionStore(this.deps).loseSessionsOf(
      workerId,
      `the worker holding it (${workerId}) was lost (${silentFor})`,
      (id) => `the worker holding it (${workerId}) was lost (${silentFor}); ${howToResume(id)}`,
    );
    // Their pending messages failed with them (SessionStore: told before each one's `lost` event).
    for (const id of lostSessions)
      await this.deps.approvals.expirePending({ kind: 'session', id }, 'the worker holding the request was lost', 'worker_lost');
    // Its claude asks again once resumed (the same tool call, from its transcript): a new approval then.
    await this.deps.handover.resumeLost(lostSessions, `the worker holding it (${workerId}) was lost`);

    await this.recoverTasksOf(workerId);
    return true;
  }

  private async recoverTasksOf(workerId: string): Promise<void> {
    const running = await this.deps.db
      .select({ id: tasks.id })
      .from(tasks)
      .where(and(eq(tasks.workerId, workerId), eq(tasks.status, 'running')));
    for (const { id } of running) await this.recoverTask(id, workerId);
  }

  /** A running task of a lost worker: re-queued (its job offered again) or failed by its retry policy. */
  private async recoverTask(taskId: string, workerId: string, kind: 'lost' | 'jobless' = 'lost'): Promise<void> {
    const requeued = await settleInterruptedTask(this.deps.db, this.deps.events, taskId, { kind, workerId });
    if (requeued) await this.ensureJob(requeued);
    else await this.deps.canceller.afterChildEnded(taskId);
    const why = kind === 'lost' ? 'the worker holding the request was lost' : 'the run holding the request lost its job';
    await this.deps.approvals.expirePending({ kind: 'task', id: taskId }, why, 'worker_lost');
    this.deps.logger.info({ taskId, workerId, requeued: Boolean(requeued), kind }, 'interrupted task recovered');
  }

  /**
   * A running task whose job is not active (missing, waiting, completed, …) may be held by no worker: its lock in
   * Redis ran out (the worker was cut off Redis, or stalled) and another worker skipped it, or Redis lost it.
   * Once this process has seen it so, with no event from its run and its row untouched, for longer than the job
   * lock, it is settled by its retry policy, also on a worker that still heartbeats (the run's writes are fenced
   * by its claim, so a run still going records nothing more). A run its worker still runs is left to finish
   * (Redis restarted empty under a healthy run): the worker's heartbeat touches the rows of the tasks it runs
   * (`WorkerRegistration.heartbeat`), and a run that writes events is seen alive by them.
   */
  private async settleJoblessRuns(): Promise<void> {
    const running = await this.deps.db
      .select({ id: tasks.id, workerId: tasks.workerId })
      .from(tasks)
      .where(
        and(
          eq(tasks.status, 'running'),
          ne(tasks.mode, 'coordinate'),
          isNotNull(tasks.workerId),
          this.olderThan(tasks.updatedAt, this.deps.jobLockMs),
          sql`not exists (select 1 from ${events} where ${events.ownerId} = ${tasks.id} and ${events.at} > now() - make_interval(secs => ${this.deps.jobLockMs / 1000}))`,
        ),
      );
    const now = Date.now();
    const seen = new Set<string>();
    for (const { id, workerId } of running) {
      seen.add(id);
      const job = await this.deps.taskQueue.getJob(id);
      const state = job ? await job.getState() : 'missing';
      if (state === 'active') {
        this.joblessSince.delete(id);
        continue;
      }
      const since = this.joblessSince.get(id) ?? now;
      this.joblessSince.set(id, since);
      if (now - since < this.deps.jobLockMs) continue;
      this.joblessSince.delete(id);
      this.deps.logger.warn(
        { taskId: id, workerId, jobState: state },
        'running task whose job nobody holds: settling it by its retry policy',
      );
      await this.recoverTask(id, workerId!, 'jobless');
    }
    for (const id of this.joblessSince.keys()) if (!seen.has(id)) this.joblessSince.delete(id);
  }

  /**
   * A coordination still running whose children all ended longer than the worker timeout ago: the parent
   * job of its flow would have settled it by then, so that job is gone (Redis lost it) or failed (Postgres
   * was out when it ran). A settling job is added; settling is a conditional update, so a second one is harmless.
   */
  private async settleStrandedCoordinations(): Promise<void> {
    const terminal = sql.join(
      [...terminalTaskStatuses].map((status) => sql`${status}`),
      sql`, `,
    );
    const stranded = await this.deps.db
      .select({ id: tasks.id })
      .from(tasks)
      .where(
        and(
          eq(tasks.status, 'running'),
          eq(tasks.mode, 'coordinate'),
          sql`not exists (select 1 from ${tasks} child where child.parent_id = ${tasks.id} and child.status not in (${terminal}))`,
          sql`(select max(child.updated_at) from ${tasks} child where child.parent_id = ${tasks.id}) < now() - make_interval(secs => ${this.deps.workerTimeoutMs / 1000})`,
        ),
      )
      .limit(ORPHAN_SCAN_LIMIT);
    for (const { id } of stranded) {
      const jobId = `settle-${id}`;
      if (await this.deps.coordinationQueue.getJob(jobId)) continue;
      await this.deps.coordinationQueue.add('coordinate', { taskId: id }, { jobId, removeOnComplete: true, removeOnFail: true });
      this.deps.logger.warn({ taskId: id }, 'coordination whose subtasks all ended was not settled: its settling job added again');
    }
  }

  /**
   * Queued tasks whose job is gone get it back. Cheap when nothing is missing: the per-task check only
   * runs when Postgres holds more queued tasks than the queue holds jobs for them (the active jobs of
   * running tasks are not theirs).
   */
  private async requeueOrphans(): Promise<void> {
    const [[queued], [running], jobs] = await Promise.all([
      this.deps.db.select({ n: count() }).from(tasks).where(eq(tasks.status, 'queued')),
      this.deps.db
        .select({ n: count() })
        .from(tasks)
        .where(and(eq(tasks.status, 'running'), ne(tasks.mode, 'coordinate'))),
      this.deps.taskQueue.getJobCountByTypes('waiting', 'prioritized', 'delayed', 'active'),
    ]);
    if ((queued?.n ?? 0) <= jobs - (running?.n ?? 0)) return;
    const candidates = await this.deps.db
      .select()
      .from(tasks)
      .where(and(eq(tasks.status, 'queued'), this.olderThanTimeout(tasks.updatedAt)))
      .orderBy(desc(tasks.priority), asc(tasks.createdAt))
      .limit(ORPHAN_SCAN_LIMIT);
    for (const task of candidates) await this.ensureJob(task);
  }

  /** Adds the task's job unless one is waiting, delayed or running; a finished one is replaced. */
  private async ensureJob(task: TaskRow): Promise<void> {
    const job = await this.deps.taskQueue.getJob(task.id);
    const state = job ? await job.getState() : 'missing';
    if (state !== 'missing' && state !== 'completed' && state !== 'failed' && state !== 'unknown') return;
    if (job) {
      try {
        await job.remove();
      } catch (error) {
        // Its id stays taken, so adding the job now would add nothing: the next sweep tries again.
        this.deps.logger.warn(
          { err: error, taskId: task.id, jobState: state },
          'could not remove the finished job of a queued task: the next sweep tries again',
        );
        return;
      }
    }
    await enqueueTask(this.deps.taskQueue, task);
    this.deps.logger.warn({ taskId: task.id, jobState: state }, 'queued task had no job: enqueued again');
  }

  private heartbeatOlderThanTimeout() {
    return this.olderThanTimeout(workers.heartbeatAt);
  }

  private olderThanTimeout(column: typeof workers.heartbeatAt | typeof tasks.updatedAt) {
    return this.olderThan(column, this.deps.workerTimeoutMs);
  }

  private olderThan(column: typeof workers.heartbeatAt | typeof tasks.updatedAt, ms: number) {
    return lt(column, sql`now() - make_interval(secs => ${ms / 1000})`);
  }
}
