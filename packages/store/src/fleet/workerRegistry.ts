import os from 'node:os';
import { and, count, desc, eq, inArray, ne, notInArray, sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { sessions, tasks, workers } from '../db/schema.ts';
import { endedSessionStates } from '@mission/contracts';
import type { WorkerInfo, WorkerState } from '@mission/contracts';

export interface WorkerProfile {
  id: string;
  capacity: number;
  maxSessions: number;
  /** The slots whose tasks it takes; undefined = all. */
  slots: string[] | undefined;
}

/** One worker's row in the registry: registers, heartbeats, says when it drains, leaves. */
export class WorkerRegistration {
  constructor(
    private readonly db: Database,
    private readonly worker: WorkerProfile,
  ) {}

  async register(): Promise<void> {
    const values = {
      host: os.hostname(),
      pid: process.pid,
      capacity: this.worker.capacity,
      maxSessions: this.worker.maxSessions,
      slots: this.worker.slots ?? null,
      state: 'active' satisfies WorkerState,
      lostAt: null,
    };
    await this.db
      .insert(workers)
      .values({ id: this.worker.id, ...values })
      .onConflictDoUpdate({ target: workers.id, set: { ...values, startedAt: sql`now()`, heartbeatAt: sql`now()` } });
  }

  /**
   * Says the worker is alive, and that it is still running `runningTasks` (their rows are touched: the sweep
   * settles a running task as jobless only when nothing touched its row for longer than the job lock, whatever Redis
   * holds of its job, `FleetRecovery.settleJoblessRuns`). Resolves `false` when the fleet had already declared it
   * lost (no heartbeat for too long, e.g. a network partition): its sessions were ended and its tasks recovered
   * elsewhere, so what it still holds of them must stop. It is then registered afresh.
   */
  async heartbeat(runningTasks: readonly string[] = []): Promise<boolean> {
    const [row] = await this.db
      .update(workers)
      .set({ heartbeatAt: sql`now()` })
      .where(and(eq(workers.id, this.worker.id), ne(workers.state, 'lost')))
      .returning({ id: workers.id });
    if (!row) {
      await this.register();
      return false;
    }
    if (runningTasks.length > 0)
      await this.db
        .update(tasks)
        .set({ updatedAt: sql`now()` })
        .where(and(inArray(tasks.id, [...runningTasks]), eq(tasks.workerId, this.worker.id), eq(tasks.status, 'running')));
    return true;
  }

  async draining(): Promise<void> {
    await this.db
      .update(workers)
      .set({ state: 'draining' satisfies WorkerState })
      .where(eq(workers.id, this.worker.id));
  }

  async leave(): Promise<void> {
    await this.db.delete(workers).where(eq(workers.id, this.worker.id));
  }
}

/** The registry as the API shows it: every known worker with its load, newest first. */
export async function listWorkers(db: Database, state?: WorkerState): Promise<WorkerInfo[]> {
  const [rows, running, live] = await Promise.all([
    db
      .select({ worker: workers, heartbeatAgeMs: sql<number>`(extract(epoch from now() - ${workers.heartbeatAt}) * 1000)::int` })
      .from(workers)
      .where(state ? eq(workers.state, state) : undefined)
      .orderBy(desc(workers.startedAt)),
    db.select({ id: tasks.workerId, n: count() }).from(tasks).where(eq(tasks.status, 'running')).groupBy(tasks.workerId),
    db
      .select({ id: sessions.ownerWorker, n: count() })
      .from(sessions)
      .where(notInArray(sessions.state, [...endedSessionStates]))
      .groupBy(sessions.ownerWorker),
  ]);
  const countOf = (list: { id: string | null; n: number }[], id: string) => list.find((row) => row.id === id)?.n ?? 0;
  return rows.map(({ worker, heartbeatAgeMs }) => ({
    id: worker.id,
    host: worker.host,
    pid: worker.pid,
    capacity: worker.capacity,
    maxSessions: worker.maxSessions,
    slots: worker.slots,
    state: worker.state as WorkerState,
    runningTasks: countOf(running, worker.id),
    liveSessions: countOf(live, worker.id),
    startedAt: worker.startedAt.toISOString(),
    heartbeatAt: worker.heartbeatAt.toISOString(),
    heartbeatAgeMs: Math.max(0, Number(heartbeatAgeMs)),
    lostAt: worker.lostAt?.toISOString() ?? null,
  }));
}
