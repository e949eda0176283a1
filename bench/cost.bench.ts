import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createRedis } from '@mission/store';
import { Queue, QueueEvents } from 'bullmq';
import { ApiClient } from '../packages/cli/src/http.ts';
import { benchPrefix, type ScratchDatabase, scratchDatabase, noopAgent } from './lib/environment.ts';
import { forkScript, readyMessage } from './lib/forkScript.ts';
import { inFlight } from './lib/inFlight.ts';
import { forkRawWorker } from './lib/rawWorkerFork.ts';
import { startMissionProcesses } from './lib/missionProcesses.ts';
import { childrenOf, ownCpuMsSince, ProcessMeter, writeSyscalls } from './lib/procStat.ts';
import { type BenchRedis, startBenchRedis } from './lib/benchRedis.ts';
import { ms, ratio, report, summarize, timeIt, type LatencySummary } from './lib/stats.ts';
import { goals, readGoal } from './lib/goals.ts';

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
/** The tasks of each side are run in this many rounds, the sides in turn: 4 in the quick run, 10 with `--full`. */
const ROUNDS = FULL ? 10 : 4;
const PER_ROUND = Math.ceil(TASKS / ROUNDS);
const IN_FLIGHT = 32;
const CONCURRENCY = 32;

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

/** A side's processes as the cost bench measures them, and how they stop. */
interface SideProcesses {
  /** The side's API process, if it has one. */
  api?: ChildProcess;
  /** The worker process and what it started that runs all along (Mission's spawner). */
  workerPids: number[];
  /** The side's database, if it has one. */
  scratch?: ScratchDatabase;
  /** Stops the side's processes (their Postgres backends report their statistics as they disconnect). */
  stop(): Promise<void>;
  /** Removes what the side left (its database), once its transactions are counted. */
  cleanUp?(): Promise<void>;
}

/**
 * One side of the cost bench: how a task runs on it, its processes, and what its measured rounds add up to. Each
 * round reads what its tasks cost on every process of the side (the client, this process; its API and worker; its
 * Redis and its Postgres backends), so the time the side idles while the others run their rounds is not counted.
 */
class CostSide {
  private readonly latencies: number[] = [];
  private readonly cpu: Record<string, number> = {};
  private readonly writes: Record<string, number> = {};
  private wallMs = 0;
  private tasks = 0;
  private redisCommands = 0;
  private transactionsBefore = 0;

  constructor(
    private readonly redis: BenchRedis,
    private readonly run: (i: number) => Promise<void>,
    private readonly processes: SideProcesses,
  ) {}

  warmUp(): Promise<unknown> {
    return closedLoop(WARMUP, this.run);
  }

  /** After the warm-up: the transactions so far, once every backend has reported them (11 s). */
  async settle(): Promise<void> {
    if (this.processes.scratch) this.transactionsBefore = await this.processes.scratch.settledTransactions();
  }

  async round(count: number): Promise<void> {
    const { api, workerPids, scratch } = this.processes;
    await this.redis.resetStats();
    const cpu = new ProcessMeter();
    const writes = new ProcessMeter(writeSyscalls);
    const servers: Record<string, number[]> = { ...(api ? { api: [api.pid!] } : {}), worker: workerPids };
    for (const pid of Object.values(servers).flat()) for (const meter of [cpu, writes]) meter.track(pid);
    const backends = async () => (scratch ? scratch.backends() : []);
    for (const pid of [this.redis.pid, ...(await backends())]) cpu.track(pid);
    const client = process.cpuUsage();

    const { latencies, ms: wall } = await closedLoop(count, (i) => this.run(this.tasks + i));
    const clientMs = ownCpuMsSince(client);
    const pgPids = await backends();
    for (const pid of pgPids) cpu.track(pid);
    add(this.cpu, {
      client: clientMs,
      ...Object.fromEntries(Object.entries(servers).map(([part, pids]) => [part, cpu.used(pids)])),
      redis: cpu.used([this.redis.pid]),
      ...(scratch ? { postgres: cpu.used(pgPids) } : {}),
    });
    add(this.writes, Object.fromEntries(Object.entries(servers).map(([part, pids]) => [part, writes.used(pids)])));
    this.redisCommands += await this.redis.commands();
    this.latencies.push(...latencies);
    this.wallMs += wall;
    this.tasks += count;
  }

  /** Stops the side and answers its figures per task over every round. */
  async finish(): Promise<SideResult> {
    const { scratch } = this.processes;
    await this.processes.stop();
    const transactions = scratch ? (await scratch.transactionsAfterStop()) - this.transactionsBefore : 0;
    await this.processes.cleanUp?.();
    const perTask = (totals: Record<string, number>) =>
      Object.fromEntries(Object.entries(totals).map(([part, total]) => [part, total / this.tasks]));
    return {
      latency: summarize(this.latencies),
      throughput: (this.tasks / this.wallMs) * 1000,
      cpu: perTask(this.cpu),
      writes: perTask(this.writes),
      redisCommands: this.redisCommands / this.tasks,
      pgTransactions: transactions / this.tasks,
    };
  }
}

/** Adds each part's figure to the totals. */
function add(totals: Record<string, number>, more: Record<string, number>): void {
  for (const [part, value] of Object.entries(more)) totals[part] = (totals[part] ?? 0) + value;
}

/** The raw side: BullMQ's own Queue adds each task's job and waits for it; a raw worker spawns the agent. */
async function startRawSide(redis: BenchRedis): Promise<CostSide> {
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
  await Promise.all([readyMessage(worker), events.waitUntilReady()]);
  const run = (i: number) => queue.add('noop', { prompt: `task ${i}` }).then(async (job) => void (await job.waitUntilFinished(events)));
  return new CostSide(redis, run, {
    workerPids: [worker.pid!],
    async stop() {
      await stopFork(worker);
      await events.close();
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
    },
  });
}

/** A raw worker (lib/rawWorker.ts) on the `cost` queue under `prefix`; with `database`, it keeps the floor's record. */
function startRawWorker(redis: BenchRedis, prefix: string, database?: ScratchDatabase): ChildProcess {
  return forkRawWorker({
    queue: 'cost',
    prefix,
    redisUrl: redis.url,
    concurrency: CONCURRENCY,
    agent: noopAgent,
    databaseUrl: database?.url,
  });
}

/**
 * The floor: raw BullMQ + spawn behind a bare HTTP API that keeps each task's row in Postgres (lib/floorApi.ts, the
 * raw worker marking the row as it runs): the least a service in Mission's shape does, asked by the same client as
 * Mission.
 */
async function startFloorSide(redis: BenchRedis): Promise<CostSide> {
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
  const { port } = await readyMessage<{ port: number }>(api);
  const worker = startRawWorker(redis, prefix, scratch);
  await readyMessage(worker);
  return new CostSide(redis, asking(new ApiClient(`http://127.0.0.1:${port}`, token), 'the floor'), {
    api,
    workerPids: [worker.pid!],
    scratch,
    async stop() {
      const apiGone = new Promise<void>((resolve) => api.once('exit', () => resolve()));
      await stopFork(worker);
      api.disconnect();
      await apiGone;
    },
    cleanUp: () => scratch.drop(),
  });
}

/** A task run as the floor and Mission are asked: `POST /v1/ask` through Mission's own client, which must succeed. */
function asking(client: ApiClient, side: string): (i: number) => Promise<void> {
  return async (i) => {
    const answer = await client.request<{ task?: { status: string } }>('POST', '/v1/ask', { prompt: `task ${i}` });
    if (answer.task?.status !== 'succeeded') throw new Error(`${side}'s ask answered ${JSON.stringify(answer)}`);
  };
}

/** Mission's side: its API and worker processes, asked through Mission's own client. */
async function startMissionSide(redis: BenchRedis): Promise<CostSide> {
  const mission = await startMissionProcesses(redis.url, {
    MISSION_CLAUDE_BIN: noopAgent,
    MISSION_WORKER_CONCURRENCY: String(CONCURRENCY),
  });
  const { api, worker } = mission;
  return new CostSide(redis, asking(mission.client, 'Mission'), {
    api,
    // The worker's spawner process starts its agents and reaps them: its CPU and theirs count only to it while it
    // runs (the raw worker spawns and reaps its agents itself, so theirs count to it).
    workerPids: [worker.pid!, ...childrenOf(worker.pid!)],
    scratch: mission.scratch,
    stop: () => mission.stopProcesses(),
    cleanUp: () => mission.cleanUp(),
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
    const [raw, floor, mission] = await Promise.all([
      startRawSide(rawRedis!),
      startFloorSide(floorRedis!),
      startMissionSide(missionRedis!),
    ]);
    const sides = [raw, floor, mission];
    await Promise.all(sides.map((side) => side.warmUp()));
    // Postgres backends report the warm-up's transactions only after seconds of idling.
    await Promise.all(sides.map((side) => side.settle()));
    // The rounds are taken in turn, the order turning at each, so that every side meets the machine's moments alike.
    for (let round = 0; round < ROUNDS; round++)
      for (const side of [...sides.slice(round % 3), ...sides.slice(0, round % 3)]) await side.round(PER_ROUND);
    const [rawResult, floorResult, ours] = await Promise.all([raw.finish(), floor.finish(), mission.finish()]);
    const parts = (perPart: Record<string, number>, digits: number) =>
      Object.entries(perPart)
        .map(([part, value]) => `${part} ${value.toFixed(digits)}`)
        .join(', ');
    const total = (perPart: Record<string, number>) => Object.values(perPart).reduce((sum, value) => sum + value, 0);
    /** A figure of each side, and Mission's against the raw side and the floor. */
    const row = (figure: string, of: (side: SideResult) => number, show: (value: number) => string) => [
      figure,
      show(of(rawResult)),
      show(of(floorResult)),
      show(of(ours)),
      of(rawResult) > 0 ? ratio(of(ours), of(rawResult)) : '',
      ratio(of(ours), of(floorResult)),
    ];
    const fixed = (digits: number) => (value: number) => value.toFixed(digits);
    readGoal(goals.taskCpu, total(ours.cpu) / total(rawResult.cpu));
    readGoal(goals.costThroughput, ours.throughput / rawResult.throughput);
    readGoal(goals.taskLatency, ours.latency.p50 / rawResult.latency.p50);
    readGoal(goals.pgTransactions, ours.pgTransactions);
    readGoal(goals.redisCommands, ours.redisCommands);
    report(
      `Cost per task: ${PER_ROUND * ROUNDS} no-op tasks a side in ${ROUNDS} rounds taken in turn, ${IN_FLIGHT} clients each waiting for its task's end, one worker process running ${CONCURRENCY} at once; the floor is raw BullMQ + spawn behind a bare HTTP API that keeps each task's row in Postgres`,
      ['figure', 'raw BullMQ + spawn', 'floor: + HTTP API, Postgres row', 'Mission', 'Mission / raw', 'Mission / floor'],
      [
        row('CPU per task, all processes (ms)', (side) => total(side.cpu), fixed(2)),
        ['  of which (ms)', parts(rawResult.cpu, 2), parts(floorResult.cpu, 2), parts(ours.cpu, 2), '', ''],
        row('write syscalls per task (servers)', (side) => total(side.writes), fixed(1)),
        ['  of which', parts(rawResult.writes, 1), parts(floorResult.writes, 1), parts(ours.writes, 1), '', ''],
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
