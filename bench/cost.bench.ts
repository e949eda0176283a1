import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createRedis } from '@mission/store';
import { Queue, QueueEvents } from 'bullmq';
import { ApiClient } from '../packages/cli/src/http.ts';
import { benchPrefix, type ScratchDatabase, scratchDatabase } from './lib/environment.ts';
import { forkScript } from './lib/forkScript.ts';
import { inFlight } from './lib/inFlight.ts';
import { startMissionProcesses } from './lib/missionProcesses.ts';
import { childrenOf, ownCpuMsSince, ProcessMeter, writeSyscalls } from './lib/procStat.ts';
import { type BenchRedis, startBenchRedis } from './lib/benchRedis.ts';
import { ms, ratio, report, summarize, timeIt, type LatencySummary } from './lib/stats.ts';

/**
 * What one task costs, Mission against raw BullMQ + spawning the agent, in the same shape on every side:
 * IN_FLIGHT clients each submit one task and wait for its end before the next, one worker process runs
 * CONCURRENCY at once and spawns the no-op agent per task. A third side, the floor, is the raw one behind a bare
 * HTTP API that keeps each task's row in Postgres (queued, running, ended), asked by Mission's client: the least any
 * service with an API and a durable record adds, measured beside Mission rather than guessed. CPU is read from /proc
 * for every process of a side: worker (with the agents it reaped; for Mission, its spawner process with them), Redis
 * (a private server per side), the API and the Postgres backends where the side has them; and the clients' (this
 * process: BullMQ's add and wait on the raw side, Mission's own client's POST /v1/ask on the others: the `mission`
 * CLI's, over node:http), as each side's own. `--full` runs longer.
 */
const FULL = process.argv.includes('--full');
const TASKS = Number(process.env.BENCH_COST_TASKS ?? (FULL ? 3_000 : 400));
const WARMUP = 30;
const IN_FLIGHT = 32;
const CONCURRENCY = 32;

const noopAgent = fileURLToPath(new URL('./noop-agent.sh', import.meta.url));
const rawWorkerScript = fileURLToPath(new URL('./lib/rawWorker.ts', import.meta.url));
const floorApiScript = fileURLToPath(new URL('./lib/floorApi.ts', import.meta.url));

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

/** What runs on a side's servers while it is measured, and how it stops. */
interface MeasuredSide {
  /** The side's API process, if it has one. */
  api?: ChildProcess;
  /** The worker process and what it started that runs all along (Mission's spawner). */
  workerPids: number[];
  /** The side's database, if it has one, and its transaction count after the warm-up. */
  database?: { scratch: ScratchDatabase; transactionsBefore: number };
  /** Stops the side's processes (their Postgres backends report their statistics as they disconnect). */
  stop(): Promise<void>;
}

/**
 * Runs TASKS tasks through `run` and reads what they cost on every process of the side: the client (this process),
 * its API and worker, its Redis and its Postgres backends; then stops the side and counts its transactions.
 */
async function measureSide(redis: BenchRedis, run: (i: number) => Promise<void>, side: MeasuredSide): Promise<SideResult> {
  await redis.resetStats();
  const cpu = new ProcessMeter();
  const writes = new ProcessMeter(writeSyscalls);
  const servers: Record<string, number[]> = { ...(side.api ? { api: [side.api.pid!] } : {}), worker: side.workerPids };
  for (const pid of Object.values(servers).flat()) for (const meter of [cpu, writes]) meter.track(pid);
  const backends = async () => (side.database ? side.database.scratch.backends() : []);
  for (const pid of [redis.pid, ...(await backends())]) cpu.track(pid);
  const client = process.cpuUsage();

  const { latencies, ms: wall } = await closedLoop(TASKS, run);
  const clientMs = ownCpuMsSince(client);
  const pgPids = await backends();
  for (const pid of pgPids) cpu.track(pid);
  const used = {
    client: clientMs,
    ...Object.fromEntries(Object.entries(servers).map(([part, pids]) => [part, cpu.used(pids)])),
    redis: cpu.used([redis.pid]),
    ...(side.database ? { postgres: cpu.used(pgPids) } : {}),
  };
  const written = Object.fromEntries(Object.entries(servers).map(([part, pids]) => [part, writes.used(pids)]));
  const redisCommands = await redis.commands();

  await side.stop();
  const transactions = side.database ? (await side.database.scratch.transactionsAfterStop()) - side.database.transactionsBefore : 0;
  return {
    latency: summarize(latencies),
    throughput: (TASKS / wall) * 1000,
    cpu: perTask(used),
    writes: perTask(written),
    redisCommands: redisCommands / TASKS,
    pgTransactions: transactions / TASKS,
  };
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
  const worker = startRawWorker(redis, prefix);
  await Promise.all([firstMessage(worker), events.waitUntilReady()]);
  const run = (i: number) => queue.add('noop', { prompt: `task ${i}` }).then(async (job) => void (await job.waitUntilFinished(events)));
  return {
    warmUp: () => closedLoop(WARMUP, run),
    measure: () =>
      measureSide(redis, run, {
        workerPids: [worker.pid!],
        async stop() {
          await stopFork(worker);
          await events.close();
          await queue.obliterate({ force: true });
          await queue.close();
          connection.disconnect();
        },
      }),
  };
}

/** A raw worker (lib/rawWorker.ts) on the `cost` queue under `prefix`; with `database`, it keeps the floor's record. */
function startRawWorker(redis: BenchRedis, prefix: string, database?: ScratchDatabase): ChildProcess {
  return forkScript(rawWorkerScript, {
    RAW_QUEUE: 'cost',
    RAW_PREFIX: prefix,
    RAW_REDIS_URL: redis.url,
    RAW_CONCURRENCY: String(CONCURRENCY),
    RAW_AGENT: noopAgent,
    ...(database ? { RAW_DATABASE_URL: database.url } : {}),
  });
}

/**
 * The floor: raw BullMQ + spawn behind a bare HTTP API that keeps each task's row in Postgres (lib/floorApi.ts, the
 * raw worker marking the row as it runs): the least a service in Mission's shape does, asked by the same client as
 * Mission. `measure` counts Postgres transactions from `transactionsBefore`, as Mission's side does.
 */
async function startFloorSide(redis: BenchRedis) {
  const scratch = await scratchDatabase();
  const prefix = benchPrefix('cost-floor');
  const token = randomBytes(16).toString('hex');
  const api = forkScript(floorApiScript, {
    FLOOR_QUEUE: 'cost',
    FLOOR_PREFIX: prefix,
    FLOOR_REDIS_URL: redis.url,
    FLOOR_DATABASE_URL: scratch.url,
    FLOOR_TOKEN: token,
  });
  const { port } = await firstMessage<{ port: number }>(api);
  const worker = startRawWorker(redis, prefix, scratch);
  await firstMessage(worker);
  const client = new ApiClient(`http://127.0.0.1:${port}`, token);
  const run = async (i: number) => {
    const answer = await client.request<{ task?: { status: string } }>('POST', '/v1/ask', { prompt: `task ${i}` });
    if (answer.task?.status !== 'succeeded') throw new Error(`the floor's ask answered ${JSON.stringify(answer)}`);
  };
  return {
    warmUp: () => closedLoop(WARMUP, run),
    settledTransactions: () => scratch.settledTransactions(),
    async measure(transactionsBefore: number): Promise<SideResult> {
      const result = await measureSide(redis, run, {
        api,
        workerPids: [worker.pid!],
        database: { scratch, transactionsBefore },
        async stop() {
          const apiGone = new Promise<void>((resolve) => api.once('exit', () => resolve()));
          await stopFork(worker);
          api.disconnect();
          await apiGone;
        },
      });
      await scratch.drop();
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
    settledTransactions: () => mission.scratch.settledTransactions(),
    async measure(transactionsBefore: number): Promise<SideResult> {
      // The worker's spawner process starts its agents and reaps them: its CPU and theirs count only to it while it
      // runs (the raw worker spawns and reaps its agents itself, so theirs count to it).
      const result = await measureSide(redis, run, {
        api,
        workerPids: [worker.pid!, ...childrenOf(worker.pid!)],
        database: { scratch: mission.scratch, transactionsBefore },
        stop: () => mission.stopProcesses(),
      });
      await mission.cleanUp();
      return result;
    },
  };
}

const perTask = (used: Record<string, number>) => Object.fromEntries(Object.entries(used).map(([part, total]) => [part, total / TASKS]));

/** The first message a forked script sends (it is ready). */
function firstMessage<T = unknown>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(message as T));
    child.once('exit', (code, signal) => reject(new Error(`a process of the cost bench exited before it was ready (${signal ?? code})`)));
  });
}

function stopFork(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.send({ stop: true });
  return exited;
}

export async function benchCost(): Promise<void> {
  // A Redis server per side: the idle processes of one side send nothing to another's while it is measured.
  const redises = await Promise.all([startBenchRedis(), startBenchRedis(), startBenchRedis()]);
  const [rawRedis, floorRedis, missionRedis] = redises;
  try {
    // The sides start and warm up at once (Mission's processes take seconds to load modules); nothing is measured yet.
    const [rawSide, floorSide, missionSide] = await Promise.all([
      startRawSide(rawRedis!),
      startFloorSide(floorRedis!),
      startMissionSide(missionRedis!),
    ]);
    await Promise.all([rawSide.warmUp(), floorSide.warmUp(), missionSide.warmUp()]);
    // Postgres backends report the warm-up's transactions only after seconds of idling: the raw side is measured
    // meanwhile, alone on the machine but for the others' idle processes, then each other side in turn.
    const settled = Promise.all([floorSide.settledTransactions(), missionSide.settledTransactions()]);
    const raw = await rawSide.measure();
    const [floorBefore, missionBefore] = await settled;
    const floor = await floorSide.measure(floorBefore);
    const ours = await missionSide.measure(missionBefore);
    const parts = (perPart: Record<string, number>, digits: number) =>
      Object.entries(perPart)
        .map(([part, value]) => `${part} ${value.toFixed(digits)}`)
        .join(', ');
    const total = (perPart: Record<string, number>) => Object.values(perPart).reduce((sum, value) => sum + value, 0);
    /** A figure of each side, and Mission's against the raw side and the floor. */
    const row = (figure: string, of: (side: SideResult) => number, show: (value: number) => string) => [
      figure,
      show(of(raw)),
      show(of(floor)),
      show(of(ours)),
      of(raw) > 0 ? ratio(of(ours), of(raw)) : '',
      ratio(of(ours), of(floor)),
    ];
    const fixed = (digits: number) => (value: number) => value.toFixed(digits);
    report(
      `Cost per task: ${TASKS} no-op tasks, ${IN_FLIGHT} clients each waiting for its task's end, one worker process running ${CONCURRENCY} at once; the floor is raw BullMQ + spawn behind a bare HTTP API that keeps each task's row in Postgres`,
      ['figure', 'raw BullMQ + spawn', 'floor: + HTTP API, Postgres row', 'Mission', 'Mission / raw', 'Mission / floor'],
      [
        row('CPU per task, all processes (ms)', (side) => total(side.cpu), fixed(2)),
        ['  of which (ms)', parts(raw.cpu, 2), parts(floor.cpu, 2), parts(ours.cpu, 2), '', ''],
        row('write syscalls per task (servers)', (side) => total(side.writes), fixed(1)),
        ['  of which', parts(raw.writes, 1), parts(floor.writes, 1), parts(ours.writes, 1), '', ''],
        row('throughput (tasks/s)', (side) => side.throughput, fixed(1)),
        row('submit → ended p50', (side) => side.latency.p50, ms),
        row('submit → ended p99', (side) => side.latency.p99, ms),
        row('Redis commands per task', (side) => side.redisCommands, fixed(1)),
        row('Postgres transactions per task', (side) => side.pgTransactions, fixed(1)),
      ],
    );
  } finally {
    await Promise.all(redises.map((redis) => redis.stop()));
  }
}
