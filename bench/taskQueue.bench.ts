import { spawn } from 'node:child_process';
import { createRedis } from '@mission/store';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { benchPrefix, benchRedisUrl, noopAgent } from './lib/environment.ts';
import { inFlight } from './lib/inFlight.ts';
import { startWorkerProcess, type WorkerProcess } from '../tests/support/workerProcess.ts';
import { openSse } from './lib/sseClient.ts';
import { type BenchSystem, startBenchSystem } from './lib/system.ts';
import { type LatencySummary, ms, ratio, report, summarize, timeIt } from './lib/stats.ts';
import { goals, meets, readGoal } from './lib/goals.ts';

const FULL = process.argv.includes('--full');
/** Sequential runs of raw BullMQ and of the agent's spawn: 100 in the quick run (enough for a p99), 200 with `--full`. */
const LATENCY_RUNS = FULL ? 200 : 100;
/** Raw BullMQ's jobs in its throughput run (it takes about a second). */
const THROUGHPUT_JOBS = 2_000;
/** Jobs or tasks in flight at once in the throughput runs, each client waiting for its own to end; workers run WORKER_CONCURRENCY at once. */
const IN_FLIGHT = 50;
const WORKER_CONCURRENCY = 16;
/** Sequential Mission tasks, and sequential first-event measures: 60 each in the quick run, 100 with `--full`. */
const MISSION_LATENCY_RUNS = FULL ? 100 : 60;
/** Mission's tasks in its throughput run (IN_FLIGHT at once): 150 in the quick run, 500 with `--full`. */
const MISSION_THROUGHPUT_TASKS = FULL ? 500 : 150;
const FIRST_EVENT_RUNS = FULL ? 100 : 60;

/** Raw BullMQ with a no-op processor: add → completed latency, and throughput in the shape of Mission's. */
async function rawBullmq() {
  const prefix = benchPrefix('raw');
  const connection = createRedis(benchRedisUrl, 'bench-raw');
  const queue = new Queue('raw', { connection, prefix });
  const events = new QueueEvents('raw', { connection: createRedis(benchRedisUrl, 'bench-raw-events'), prefix });
  const worker = new Worker('raw', async () => 'ok', { connection, prefix, concurrency: WORKER_CONCURRENCY });
  queue.setMaxListeners(IN_FLIGHT + 10); // each waitUntilFinished listens for the queue closing
  await Promise.all([events.waitUntilReady(), worker.waitUntilReady()]);

  const latencies: number[] = [];
  for (let i = 0; i < LATENCY_RUNS; i++) {
    const { ms: took } = await timeIt(async () => {
      const job = await queue.add('noop', { i }, { removeOnComplete: true });
      await job.waitUntilFinished(events);
    });
    latencies.push(took);
  }

  // The same shape as Mission's throughput run below: IN_FLIGHT clients, each adding a job and waiting for its end.
  const { ms: total } = await timeIt(() =>
    inFlight(THROUGHPUT_JOBS, IN_FLIGHT, async (i) => {
      const job = await queue.add('noop', { i }, { removeOnComplete: true });
      await job.waitUntilFinished(events);
    }),
  );
  await worker.close();
  await events.close();
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
  return { latency: summarize(latencies), throughput: (THROUGHPUT_JOBS / total) * 1000 };
}

/** The no-op agent on its own: what spawning the command costs, outside any queue. */
async function rawSpawn() {
  const latencies: number[] = [];
  for (let i = 0; i < LATENCY_RUNS; i++) {
    const { ms: took } = await timeIt(
      () =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(noopAgent, [], { stdio: ['pipe', 'pipe', 'ignore'] });
          child.stdout.resume();
          child.stdin.end('prompt');
          child.once('error', reject);
          child.once('close', () => resolve());
        }),
    );
    latencies.push(took);
  }
  return { latency: summarize(latencies) };
}

/** Mission end to end: POST /v1/tasks → task `succeeded`, with the no-op agent as the claude binary. */
async function mission(system: BenchSystem) {
  const { core } = system;

  const submitAndWait = async (prompt: string) => {
    const task = await system.client.request<{ id: string }>('POST', '/v1/tasks', { prompt });
    const done = await core.tasks.waitForEnd(task.id, 60_000);
    if (done?.status !== 'succeeded') throw new Error(`task ${task.id} ended ${done?.status}: ${done?.error}`);
  };

  const latencies: number[] = [];
  for (let i = 0; i < MISSION_LATENCY_RUNS; i++) latencies.push((await timeIt(() => submitAndWait(`ping ${i}`))).ms);

  const { ms: total } = await timeIt(() => inFlight(MISSION_THROUGHPUT_TASKS, IN_FLIGHT, (i) => submitAndWait(`load ${i}`)));

  await system.close();
  return { latency: summarize(latencies), throughput: (MISSION_THROUGHPUT_TASKS / total) * 1000 };
}

/**
 * POST /v1/tasks, and as soon as it returns, GET /v1/tasks/:id/events over `node:http` (a connection of its own, as
 * a browser's EventSource has): the time from the POST's answer to the stream's first event, one task at a time
 * (each ends before the next is submitted). The worker runs in a process of its own, as deployed: the API's loop
 * serves the stream while the worker takes the task.
 */
async function firstEventAfterSubmit({ system, worker }: { system: BenchSystem; worker: WorkerProcess }): Promise<LatencySummary> {
  try {
    return await firstEvents(system);
  } finally {
    worker.child.kill('SIGTERM');
    await worker.exited;
    await system.close();
  }
}

async function firstEvents(system: BenchSystem): Promise<LatencySummary> {
  const sample: number[] = [];
  for (let i = 0; i < FIRST_EVENT_RUNS; i++) {
    const res = await system.fetch('/v1/tasks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: `first event ${i}` }),
    });
    const task = (await res.json()) as { id: string };
    const returned = performance.now();
    const stream = await openSse(`${system.url}/v1/tasks/${task.id}/events`, system.auth);
    if (stream.status !== 200) throw new Error(`GET /v1/tasks/${task.id}/events answered ${stream.status}`);
    await stream.read(() => true);
    sample.push(performance.now() - returned);
    await system.core.tasks.waitForEnd(task.id, 60_000);
  }
  return summarize(sample);
}

export async function benchTaskQueue(): Promise<void> {
  const raw = await rawBullmq();
  const agent = await rawSpawn();
  // Both of Mission's systems start at once (the first-event one's worker process takes seconds to load its modules);
  // the first-event one waits idle, on queues of its own, while the other is measured.
  const [missionSystem, firstEventSystem] = await Promise.all([
    startBenchSystem({ MISSION_CLAUDE_BIN: noopAgent, MISSION_WORKER_CONCURRENCY: String(WORKER_CONCURRENCY) }),
    startBenchSystem({ MISSION_CLAUDE_BIN: noopAgent }, { inProcessWorker: false }).then(async (system) => ({
      system,
      worker: await startWorkerProcess(system, 'first-event', { LOG_LEVEL: 'warn' }),
    })),
  ]);
  const ours = await mission(missionSystem);
  const first = await firstEventAfterSubmit(firstEventSystem);
  const floor = raw.latency.p50 + agent.latency.p50;
  report(
    `Task path: raw BullMQ (no-op processor) vs Mission submit → succeeded (no-op agent command); raw BullMQ and spawn n=${LATENCY_RUNS} sequential`,
    ['measure', 'p50', 'p99', 'throughput', 'p50 vs raw BullMQ', 'p50 vs BullMQ + spawn'],
    [
      ['raw BullMQ add → completed', ms(raw.latency.p50), ms(raw.latency.p99), `${raw.throughput.toFixed(0)} jobs/s`, '1.00×', ''],
      ['spawn no-op agent → exit', ms(agent.latency.p50), ms(agent.latency.p99), '', '', ''],
      [
        'Mission POST /v1/tasks → succeeded',
        ms(ours.latency.p50),
        ms(ours.latency.p99),
        `${ours.throughput.toFixed(0)} tasks/s`,
        ratio(ours.latency.p50, raw.latency.p50),
        ratio(ours.latency.p50, floor),
      ],
    ],
  );
  console.log(
    `Mission's own overhead per task (p50, beyond BullMQ + spawning the agent): ${ms(ours.latency.p50 - floor)}; ` +
      `throughput ${ratio(ours.throughput, raw.throughput)} of raw BullMQ's with its no-op processor (n=${ours.latency.n} sequential; throughput ${MISSION_THROUGHPUT_TASKS} tasks and ${THROUGHPUT_JOBS} jobs, each side ${IN_FLIGHT} in flight, each waited for, worker concurrency ${WORKER_CONCURRENCY})`,
  );
  console.log(
    `First SSE event after POST /v1/tasks returns (GET /v1/tasks/:id/events opened then, node:http, worker in a process of its own, n=${first.n} sequential): ` +
      `p50 ${ms(first.p50)}, p99 ${ms(first.p99)}; goal p50 <= ${ms(goals.firstEvent.limit)} (${meets(goals.firstEvent, first.p50) ? 'met' : 'not met'})`,
  );
  readGoal(goals.firstEvent, first.p50);
}
