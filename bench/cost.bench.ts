import { type ChildProcess, fork, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TokenService } from '@mission/core';
import { createRedis, openDatabase } from '@mission/shared';
import { Queue, QueueEvents } from 'bullmq';
import postgres from 'postgres';
import { benchPrefix, scratchDatabase } from './lib/environment.ts';
import { CpuMeter } from './lib/procStat.ts';
import { freePort } from '../src/privateRedis.ts';
import { type BenchRedis, startBenchRedis } from './lib/benchRedis.ts';
import { ms, ratio, report, summarize, timeIt, type LatencySummary } from './lib/stats.ts';

/**
 * What one task costs, Mission against raw BullMQ + spawning the agent, in the same shape on both sides:
 * IN_FLIGHT clients each submit one task and wait for its end before the next, one worker process runs
 * CONCURRENCY at once and spawns the no-op agent per task. CPU is read from /proc for every process of
 * the system (not the clients): worker (with the agents it reaped), Redis (a private server), and for
 * Mission the API and its Postgres backends. `--full` runs longer.
 */
const FULL = process.argv.includes('--full');
const TASKS = Number(process.env.BENCH_COST_TASKS ?? (FULL ? 3_000 : 400));
const WARMUP = 30;
const IN_FLIGHT = 32;
const CONCURRENCY = 32;
/** Postgres backends flush their statistics within 10 s of going idle; wait that out before a reading. */
const PG_STATS_SETTLE_MS = 11_000;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const noopAgent = fileURLToPath(new URL('./noop-agent.sh', import.meta.url));
const rawWorkerScript = fileURLToPath(new URL('./lib/rawWorker.ts', import.meta.url));

interface SideResult {
  latency: LatencySummary;
  throughput: number;
  /** CPU ms per task, per part of the system. */
  cpu: Record<string, number>;
  redisCommands: number;
  pgTransactions: number;
}

/** Runs `count` operations with IN_FLIGHT clients in a closed loop; answers each one's latency and the wall time. */
async function closedLoop(count: number, operation: (i: number) => Promise<void>): Promise<{ latencies: number[]; ms: number }> {
  const latencies: number[] = [];
  let next = 0;
  const { ms: total } = await timeIt(() =>
    Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < count) {
          const i = next++;
          latencies.push((await timeIt(() => operation(i))).ms);
        }
      }),
    ),
  );
  return { latencies, ms: total };
}

async function rawSide(redis: BenchRedis): Promise<SideResult> {
  const prefix = benchPrefix('cost-raw');
  const connection = createRedis(redis.url, 'bench-cost-raw');
  const queue = new Queue('cost', { connection, prefix, defaultJobOptions: { removeOnComplete: { count: 1_000 }, removeOnFail: { count: 5_000 } } });
  queue.setMaxListeners(IN_FLIGHT + 10); // each waitUntilFinished listens for the queue closing
  const events = new QueueEvents('cost', { connection: createRedis(redis.url, 'bench-cost-raw-events'), prefix });
  const worker = fork(rawWorkerScript, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, RAW_QUEUE: 'cost', RAW_PREFIX: prefix, RAW_REDIS_URL: redis.url, RAW_CONCURRENCY: String(CONCURRENCY), RAW_AGENT: noopAgent },
  });
  await Promise.all([new Promise<void>((resolve) => worker.once('message', () => resolve())), events.waitUntilReady()]);
  const run = (i: number) => queue.add('noop', { prompt: `task ${i}` }).then((job) => job.waitUntilFinished(events));

  await closedLoop(WARMUP, run);
  await redis.resetStats();
  const cpu = new CpuMeter();
  for (const pid of [worker.pid!, redis.pid]) cpu.track(pid);
  const { latencies, ms: wall } = await closedLoop(TASKS, run);
  const used = { worker: cpu.used([worker.pid!]), redis: cpu.used([redis.pid]) };
  const redisCommands = await redis.commands();

  await stopFork(worker);
  await events.close();
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
  return {
    latency: summarize(latencies),
    throughput: (TASKS / wall) * 1000,
    cpu: perTask(used),
    redisCommands: redisCommands / TASKS,
    pgTransactions: 0,
  };
}

async function missionSide(redis: BenchRedis): Promise<SideResult> {
  const database = await scratchDatabase();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-bench-cost-'));
  const port = await freePort();
  const env = {
    ...process.env,
    PORT: String(port),
    LOG_LEVEL: 'warn',
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    MISSION_DATA_DIR: dataDir,
    MISSION_QUEUE_PREFIX: benchPrefix('cost-mission'),
    MISSION_SLOTS_FILE: '/nonexistent/slots.yaml',
    MISSION_PERMISSIONS_FILE: '/nonexistent/permissions.yaml',
    MISSION_CLAUDE_BIN: noopAgent,
    MISSION_WORKER_CONCURRENCY: String(CONCURRENCY),
    MISSION_AUTH: 'on',
    MISSION_APPROVAL_SECRET: 'bench-cost-approval-secret-0123456789abcdef',
    MISSION_RATE_LIMIT_PER_MINUTE: '100000000',
  };
  // Migrate and make the token first, so neither process races the other to it.
  const setup = await openDatabase({ url: database.url, dataDir });
  const { token } = await new TokenService(setup.db).create({ name: 'bench', scopes: ['admin'] }, 'bench');
  await setup.close();
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const url = `http://127.0.0.1:${port}`;

  const api = startProcess('src/api.ts', env);
  await until(async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.ok === true, api, 'the API to be ready');
  const worker = startProcess('src/worker.ts', { ...env, MISSION_WORKER_ID: 'bench-cost' });
  await until(async () => {
    const res = await fetch(`${url}/v1/workers?state=active`, { headers });
    return ((await res.json()) as { workers: { id: string }[] }).workers.some((w) => w.id === 'bench-cost');
  }, worker, 'the worker to register');

  const run = async (i: number) => {
    const res = await fetch(`${url}/v1/ask`, { method: 'POST', headers, body: JSON.stringify({ prompt: `task ${i}` }) });
    const body = (await res.json()) as { task?: { status: string } };
    if (res.status !== 200 || body.task?.status !== 'succeeded') throw new Error(`ask answered ${res.status}: ${JSON.stringify(body)}`);
  };
  await closedLoop(WARMUP, run);

  const admin = postgres(database.url.replace(/\/[^/]*$/, '/postgres'), { max: 1, onnotice: () => {} });
  const dbName = new URL(database.url).pathname.slice(1);
  const transactions = async () =>
    Number((await admin`select xact_commit + xact_rollback as n from pg_stat_database where datname = ${dbName}`)[0]!.n);
  const backends = async () => (await admin`select pid from pg_stat_activity where datname = ${dbName}`).map((row) => Number(row.pid));
  await new Promise((resolve) => setTimeout(resolve, PG_STATS_SETTLE_MS));
  const transactionsBefore = await transactions();
  await redis.resetStats();
  const cpu = new CpuMeter();
  for (const pid of [api.pid!, worker.pid!, redis.pid, ...(await backends())]) cpu.track(pid);

  const { latencies, ms: wall } = await closedLoop(TASKS, run);
  for (const pid of await backends()) cpu.track(pid);
  const pgPids = (await backends()).filter((pid) => pid !== api.pid && pid !== worker.pid);
  const used = { api: cpu.used([api.pid!]), worker: cpu.used([worker.pid!]), redis: cpu.used([redis.pid]), postgres: cpu.used(pgPids) };
  const redisCommands = await redis.commands();

  // Processes flush their backends' statistics when they disconnect: stop them, then read.
  await Promise.all([stopProcess(api), stopProcess(worker)]);
  await new Promise((resolve) => setTimeout(resolve, PG_STATS_SETTLE_MS));
  const pgTransactions = (await transactions()) - transactionsBefore;
  await admin.end();
  await database.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  return {
    latency: summarize(latencies),
    throughput: (TASKS / wall) * 1000,
    cpu: perTask(used),
    redisCommands: redisCommands / TASKS,
    pgTransactions: pgTransactions / TASKS,
  };
}

const perTask = (used: Record<string, number>) => Object.fromEntries(Object.entries(used).map(([part, total]) => [part, total / TASKS]));
const cpuTotal = (side: SideResult) => Object.values(side.cpu).reduce((sum, value) => sum + value, 0);

function startProcess(script: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-4_000)));
  child.once('exit', (code) => code && console.error(`${script} exited with ${code}: ${errors}`));
  return child;
}

async function until(condition: () => Promise<boolean>, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await condition().catch(() => false))) {
    if (child.exitCode !== null) throw new Error(`gave up waiting for ${what}: the process exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  return exited;
}

function stopFork(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.send({ stop: true });
  return exited;
}

export async function benchCost(): Promise<void> {
  const redis = await startBenchRedis();
  try {
    const raw = await rawSide(redis);
    const ours = await missionSide(redis);
    const cpuRow = (side: SideResult) =>
      Object.entries(side.cpu)
        .map(([part, value]) => `${part} ${value.toFixed(2)}`)
        .join(', ');
    report(
      `Cost per task: ${TASKS} no-op tasks, ${IN_FLIGHT} clients each waiting for its task's end, one worker process running ${CONCURRENCY} at once`,
      ['figure', 'raw BullMQ + spawn', 'Mission', 'ratio'],
      [
        ['CPU per task, all processes (ms)', cpuTotal(raw).toFixed(2), cpuTotal(ours).toFixed(2), ratio(cpuTotal(ours), cpuTotal(raw))],
        ['  of which (ms)', cpuRow(raw), cpuRow(ours), ''],
        ['throughput (tasks/s)', raw.throughput.toFixed(1), ours.throughput.toFixed(1), ratio(ours.throughput, raw.throughput)],
        ['submit → ended p50', ms(raw.latency.p50), ms(ours.latency.p50), ratio(ours.latency.p50, raw.latency.p50)],
        ['submit → ended p99', ms(raw.latency.p99), ms(ours.latency.p99), ratio(ours.latency.p99, raw.latency.p99)],
        ['Redis commands per task', raw.redisCommands.toFixed(1), ours.redisCommands.toFixed(1), ratio(ours.redisCommands, raw.redisCommands)],
        ['Postgres transactions per task', '0', ours.pgTransactions.toFixed(1), ''],
      ],
    );
  } finally {
    await redis.stop();
  }
}
