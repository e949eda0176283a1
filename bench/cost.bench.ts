import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRedis } from '@mission/store';
import { Queue, QueueEvents } from 'bullmq';
import { benchPrefix } from './lib/environment.ts';
import { forkScript } from './lib/forkScript.ts';
import { inFlight } from './lib/inFlight.ts';
import { startMissionProcesses } from './lib/missionProcesses.ts';
import { childrenOf, ownCpuMsSince, ProcessMeter, writeSyscalls } from './lib/procStat.ts';
import { type BenchRedis, startBenchRedis } from './lib/benchRedis.ts';
import { ms, ratio, report, summarize, timeIt, type LatencySummary } from './lib/stats.ts';

/**
 * What one task costs, Mission against raw BullMQ + spawning the agent, in the same shape on both sides:
 * IN_FLIGHT clients each submit one task and wait for its end before the next, one worker process runs
 * CONCURRENCY at once and spawns the no-op agent per task. CPU is read from /proc for every process of
 * the system: worker (with the agents it reaped; for Mission, its spawner process with them), Redis (a private server per side), and for
 * Mission the API and its Postgres backends; and the clients' (this process: BullMQ's add and wait on the raw side,
 * Mission's own client's POST /v1/ask on Mission's: the `mission` CLI's, over node:http), as each side's own. `--full` runs longer.
 */
const FULL = process.argv.includes('--full');
const TASKS = Number(process.env.BENCH_COST_TASKS ?? (FULL ? 3_000 : 400));
const WARMUP = 30;
const IN_FLIGHT = 32;
const CONCURRENCY = 32;

const noopAgent = fileURLToPath(new URL('./noop-agent.sh', import.meta.url));
const rawWorkerScript = fileURLToPath(new URL('./lib/rawWorker.ts', import.meta.url));

interface SideResult {
  latency: LatencySummary;
  throughput: number;
  /** CPU ms per task, per part of the system (the client: this process, which submits and waits on both sides). */
  cpu: Record<string, number>;
  /** Write system calls per task of the server side's processes, per part. */
  writes: Record<string, number>;
  redisCommands: number;
  pgTransactions: number;
}

/** Runs `count` operations with IN_FLIGHT clients in a closed loop; answers each one's latency and the wall time. */
async function closedLoop(count: number, operation: (i: number) => Promise<void>): Promise<{ latencies: number[]; ms: number }> {
  const latencies: number[] = [];
  const { ms: total } = await timeIt(() => inFlight(count, IN_FLIGHT, async (i) => latencies.push((await timeIt(() => operation(i))).ms)));
  return { latencies, ms: total };
}

/** The raw side, its worker started: `measure` runs TASKS tasks, measured, then stops it. */
async function startRawSide(redis: BenchRedis) {
  const prefix = benchPrefix('cost-raw');
  const connection = createRedis(redis.url, 'bench-cost-raw');
  const queue = new Queue('cost', {
    connection,
    prefix,
    defaultJobOptions: { removeOnComplete: { count: 1_000 }, removeOnFail: { count: 5_000 } },
  });
  queue.setMaxListeners(IN_FLIGHT + 10); // each waitUntilFinished listens for the queue closing
  const events = new QueueEvents('cost', { connection: createRedis(redis.url, 'bench-cost-raw-events'), prefix });
  const worker = forkScript(rawWorkerScript, {
    RAW_QUEUE: 'cost',
    RAW_PREFIX: prefix,
    RAW_REDIS_URL: redis.url,
    RAW_CONCURRENCY: String(CONCURRENCY),
    RAW_AGENT: noopAgent,
  });
  await Promise.all([new Promise<void>((resolve) => worker.once('message', () => resolve())), events.waitUntilReady()]);
  const run = (i: number) => queue.add('noop', { prompt: `task ${i}` }).then((job) => job.waitUntilFinished(events));
  return {
    warmUp: () => closedLoop(WARMUP, run),
    async measure() {
      await redis.resetStats();
      const cpu = new ProcessMeter();
      const writes = new ProcessMeter(writeSyscalls);
      for (const pid of [worker.pid!, redis.pid]) for (const meter of [cpu, writes]) meter.track(pid);
      const client = process.cpuUsage();
      const { latencies, ms: wall } = await closedLoop(TASKS, run);
      const used = { client: ownCpuMsSince(client), worker: cpu.used([worker.pid!]), redis: cpu.used([redis.pid]) };
      const written = { worker: writes.used([worker.pid!]) };
      const redisCommands = await redis.commands();

      await stopFork(worker);
      await events.close();
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
      const result: SideResult = {
        latency: summarize(latencies),
        throughput: (TASKS / wall) * 1000,
        cpu: perTask(used),
        writes: perTask(written),
        redisCommands: redisCommands / TASKS,
        pgTransactions: 0,
      };
      return result;
    },
  };
}

/**
 * Mission's side, its API and worker processes started: `measure` runs TASKS tasks, measured, then stops them; it
 * counts Postgres transactions from `transactionsBefore`, `settledTransactions()` called after the warm-up.
 */
async function startMissionSide(redis: BenchRedis) {
  const mission = await startMissionProcesses(redis.url, {
    MISSION_CLAUDE_BIN: noopAgent,
    MISSION_WORKER_CONCURRENCY: String(CONCURRENCY),
  });
  const { api, worker } = mission;
  const run = async (i: number) => {
    const answer = await mission.client.request<{ task?: { status: string } }>('POST', '/v1/ask', { prompt: `task ${i}` });
    if (answer.task?.status !== 'succeeded') throw new Error(`ask answered ${JSON.stringify(answer)}`);
  };
  return {
    warmUp: () => closedLoop(WARMUP, run),
    settledTransactions: () => mission.settledTransactions(),
    async measure(transactionsBefore: number): Promise<SideResult> {
      await redis.resetStats();
      const cpu = new ProcessMeter();
      const writes = new ProcessMeter(writeSyscalls);
      // The worker's spawner process starts its agents and reaps them: its CPU and theirs count only to it while it
      // runs (the raw worker spawns and reaps its agents itself, so theirs count to it).
      const workerPids = [worker.pid!, ...childrenOf(worker.pid!)];
      for (const pid of [api.pid!, ...workerPids, redis.pid, ...(await mission.postgresBackends())]) cpu.track(pid);
      for (const pid of [api.pid!, ...workerPids]) writes.track(pid);
      const client = process.cpuUsage();

      const { latencies, ms: wall } = await closedLoop(TASKS, run);
      const clientMs = ownCpuMsSince(client);
      const pgPids = await mission.postgresBackends();
      for (const pid of pgPids) cpu.track(pid);
      const used = {
        client: clientMs,
        api: cpu.used([api.pid!]),
        worker: cpu.used(workerPids),
        redis: cpu.used([redis.pid]),
        postgres: cpu.used(pgPids),
      };
      const written = { api: writes.used([api.pid!]), worker: writes.used(workerPids) };
      const redisCommands = await redis.commands();

      await mission.stopProcesses();
      const pgTransactions = (await mission.transactionsAfterStop()) - transactionsBefore;
      await mission.cleanUp();
      return {
        latency: summarize(latencies),
        throughput: (TASKS / wall) * 1000,
        cpu: perTask(used),
        writes: perTask(written),
        redisCommands: redisCommands / TASKS,
        pgTransactions: pgTransactions / TASKS,
      };
    },
  };
}

const perTask = (used: Record<string, number>) => Object.fromEntries(Object.entries(used).map(([part, total]) => [part, total / TASKS]));

function stopFork(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.send({ stop: true });
  return exited;
}

export async function benchCost(): Promise<void> {
  // A Redis server per side: the idle processes of one side send nothing to the other's while it is measured.
  const [rawRedis, missionRedis] = await Promise.all([startBenchRedis(), startBenchRedis()]);
  try {
    // Both sides start and warm up at once (Mission's processes take seconds to load modules); nothing is measured yet.
    const [rawSide, missionSide] = await Promise.all([startRawSide(rawRedis), startMissionSide(missionRedis)]);
    await Promise.all([rawSide.warmUp(), missionSide.warmUp()]);
    // Mission's Postgres backends report the warm-up's transactions only after seconds of idling: the raw side is
    // measured meanwhile, alone on the machine but for Mission's idle processes, then Mission's once they are counted.
    const settled = missionSide.settledTransactions();
    const raw = await rawSide.measure();
    const ours = await missionSide.measure(await settled);
    const parts = (perPart: Record<string, number>, digits: number) =>
      Object.entries(perPart)
        .map(([part, value]) => `${part} ${value.toFixed(digits)}`)
        .join(', ');
    const total = (perPart: Record<string, number>) => Object.values(perPart).reduce((sum, value) => sum + value, 0);
    report(
      `Cost per task: ${TASKS} no-op tasks, ${IN_FLIGHT} clients each waiting for its task's end, one worker process running ${CONCURRENCY} at once`,
      ['figure', 'raw BullMQ + spawn', 'Mission', 'ratio'],
      [
        ['CPU per task, all processes (ms)', total(raw.cpu).toFixed(2), total(ours.cpu).toFixed(2), ratio(total(ours.cpu), total(raw.cpu))],
        ['  of which (ms)', parts(raw.cpu, 2), parts(ours.cpu, 2), ''],
        [
          'write syscalls per task (servers)',
          total(raw.writes).toFixed(1),
          total(ours.writes).toFixed(1),
          ratio(total(ours.writes), total(raw.writes)),
        ],
        ['  of which', parts(raw.writes, 1), parts(ours.writes, 1), ''],
        ['throughput (tasks/s)', raw.throughput.toFixed(1), ours.throughput.toFixed(1), ratio(ours.throughput, raw.throughput)],
        ['submit → ended p50', ms(raw.latency.p50), ms(ours.latency.p50), ratio(ours.latency.p50, raw.latency.p50)],
        ['submit → ended p99', ms(raw.latency.p99), ms(ours.latency.p99), ratio(ours.latency.p99, raw.latency.p99)],
        [
          'Redis commands per task',
          raw.redisCommands.toFixed(1),
          ours.redisCommands.toFixed(1),
          ratio(ours.redisCommands, raw.redisCommands),
        ],
        ['Postgres transactions per task', '0', ours.pgTransactions.toFixed(1), ''],
      ],
    );
  } finally {
    await Promise.all([rawRedis.stop(), missionRedis.stop()]);
  }
}
