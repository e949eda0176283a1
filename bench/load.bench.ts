import type { ChildProcess } from 'node:child_process';
import { createRedis, tables } from '@mission/store';
import { Queue } from 'bullmq';
import { inArray, sql } from 'drizzle-orm';
import { waitUntil } from '../tests/support/processes.ts';
import { startWorkerProcess, type WorkerProcess } from '../tests/support/workerProcess.ts';
import { benchPrefix, benchRedisUrl, noopAgent } from './lib/environment.ts';
import { readyMessage } from './lib/forkScript.ts';
import { inFlight } from './lib/inFlight.ts';
import { forkRawWorker } from './lib/rawWorkerFork.ts';
import { startBenchSystem } from './lib/system.ts';
import { ms, percentile, ratio, report } from './lib/stats.ts';
import { goals, readGoal } from './lib/goals.ts';

const FULL = process.argv.includes('--full');
/**
 * Tasks pushed through each fleet size (BENCH_LOAD_TASKS to change): 250 in the quick run (several seconds of
 * steady state per side at the rates measured here), through one worker process (the quick run stays under three
 * minutes); `--full` pushes 10,000 through one, two and four.
 */
const TASKS = Number(process.env.BENCH_LOAD_TASKS ?? (FULL ? 10_000 : 250));
const FLEET_SIZES = FULL ? [1, 2, 4] : [1];
/** Jobs each worker process runs at once, Mission and raw alike. */
const CONCURRENCY = 8;
/** Submissions in flight at once, on both sides. */
const SUBMITTERS = 32;
/**
 * How often each side is asked whether all its tasks ended. It only tells when to stop waiting: each side's throughput
 * is timed to the last task's end as stored (BullMQ's `finishedOn`, Mission's `finished_at`), not to this poll.
 */
const POLL_MS = 50;
/** A side whose tasks have not all ended after this long has hung: the bench fails rather than waiting for ever. */
const END_WAIT_MS = 10 * 60_000;

interface LoadResult {
  throughput: number;
  waitP50: number;
  waitP99: number;
}

/** One side of a fleet, its processes started: `measure` pushes TASKS tasks through, then stops them. */
interface StartedSide {
  measure(): Promise<LoadResult>;
}

/** Raw BullMQ: `processes` forked workers, each job spawning the no-op agent; TASKS jobs added one by one, SUBMITTERS in flight. */
async function startRawBullmq(processes: number): Promise<StartedSide> {
  const prefix = benchPrefix('raw-load');
  const connection = createRedis(benchRedisUrl, 'bench-raw-load');
  const queue = new Queue('load', { connection, prefix });
  const children: ChildProcess[] = Array.from({ length: processes }, () =>
    forkRawWorker({ queue: 'load', prefix, redisUrl: benchRedisUrl, concurrency: CONCURRENCY, agent: noopAgent }),
  );
  await Promise.all(children.map((child) => readyMessage(child)));
  return {
    async measure() {
      const started = Date.now();
      await inFlight(TASKS, SUBMITTERS, (i) => queue.add('noop', { prompt: `load ${i}` }));
      await waitUntil(async () => (await queue.getJobCountByTypes('completed')) >= TASKS, END_WAIT_MS, "raw BullMQ's jobs to end", POLL_MS);
      const jobs = await queue.getJobs(['completed'], 0, TASKS);
      const lastFinished = Math.max(...jobs.map((job) => job.finishedOn ?? 0));
      const waits: number[] = [];
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              child.once('message', (message: { waits: number[] }) => {
                waits.push(...message.waits);
                resolve();
              });
              child.send({ stop: true });
            }),
        ),
      );
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
      return { throughput: (TASKS / (lastFinished - started)) * 1000, waitP50: percentile(waits, 50), waitP99: percentile(waits, 99) };
    },
  };
}

/** Mission: the API here, `processes` worker processes running the no-op agent; TASKS submitted over REST. */
async function startMission(processes: number): Promise<StartedSide> {
  const system = await startBenchSystem({ MISSION_CLAUDE_BIN: noopAgent }, { inProcessWorker: false });
  const workers: WorkerProcess[] = await Promise.all(
    Array.from({ length: processes }, (_, i) =>
      startWorkerProcess(system, `load-${i}`, { MISSION_WORKER_CONCURRENCY: String(CONCURRENCY), LOG_LEVEL: 'warn' }),
    ),
  );
  const { tasks } = tables;
  const db = system.core.database.db;
  const ended = async () => {
    const [row] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(tasks)
      .where(inArray(tasks.status, ['succeeded', 'failed', 'cancelled', 'timed_out']));
    return row?.n ?? 0;
  };
  return {
    async measure() {
      const started = Date.now();
      await inFlight(TASKS, SUBMITTERS, async (i) => {
        await system.client.request('POST', '/v1/tasks', { prompt: `load ${i}` });
      });
      await waitUntil(async () => (await ended()) >= TASKS, END_WAIT_MS, "Mission's tasks to end", POLL_MS);
      const [stats] = await db
        .select({
          lastFinished: sql<string>`(extract(epoch from max(${tasks.finishedAt})) * 1000)::float8`,
          failed: sql<number>`count(*) filter (where ${tasks.status} <> 'succeeded')::int`,
          p50: sql<number>`percentile_cont(0.5) within group (order by extract(epoch from ${tasks.startedAt} - ${tasks.createdAt}) * 1000)`,
          p99: sql<number>`percentile_cont(0.99) within group (order by extract(epoch from ${tasks.startedAt} - ${tasks.createdAt}) * 1000)`,
        })
        .from(tasks);
      if (stats!.failed > 0) throw new Error(`${stats!.failed} tasks did not succeed`);
      for (const worker of workers) worker.child.kill('SIGTERM');
      await Promise.all(workers.map((worker) => worker.exited));
      await system.close();
      const throughput = (TASKS / (Number(stats!.lastFinished) - started)) * 1000;
      return { throughput, waitP50: Number(stats!.p50), waitP99: Number(stats!.p99) };
    },
  };
}

export async function benchLoad(): Promise<void> {
  // Every fleet's processes start at once (a worker process takes seconds to load its modules); each fleet is then
  // measured in turn, raw then Mission, while those of the fleets not yet measured wait idle on queues of their own.
  const fleets = await Promise.all(
    FLEET_SIZES.map(async (processes) => {
      const [raw, mission] = await Promise.all([startRawBullmq(processes), startMission(processes)]);
      return { processes, raw, mission };
    }),
  );
  const rows: string[][] = [];
  for (const { processes, raw: rawSide, mission } of fleets) {
    const raw = await rawSide.measure();
    const ours = await mission.measure();
    if (processes === 1) readGoal(goals.loadThroughput, ours.throughput / raw.throughput);
    rows.push(
      [
        `raw BullMQ + agent, ${processes} process${processes > 1 ? 'es' : ''}`,
        `${raw.throughput.toFixed(0)}/s`,
        ms(raw.waitP50),
        ms(raw.waitP99),
        '1.00×',
      ],
      [
        `Mission, ${processes} worker process${processes > 1 ? 'es' : ''}`,
        `${ours.throughput.toFixed(0)}/s`,
        ms(ours.waitP50),
        ms(ours.waitP99),
        ratio(ours.throughput, raw.throughput),
      ],
    );
    console.log(`(fleet of ${processes} done)`);
  }
  report(
    `Load: ${TASKS.toLocaleString('en')} tasks, no-op agent, ${CONCURRENCY} at once per worker process; submitted one by one, ${SUBMITTERS} in flight (Mission over REST, raw with Queue.add); throughput to the last task's stored end`,
    ['run', 'throughput', 'queue wait p50', 'queue wait p99', 'throughput vs raw'],
    rows,
  );
}
