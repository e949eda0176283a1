import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, afterEach } from 'vitest';
import { fileURLToPath } from 'node:url';
import { recordChild } from './childProcesses.ts';
import { waitUntil } from './processes.ts';
import type { Config } from '@mission/store';

/** What starting a worker process needs of the system it joins: its config, and a fetch on its API with a token. */
export interface FleetHost {
  config: Config;
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A fleet's timing for tests: short enough for a test, long enough that a busy 2-core machine does not declare a
 * live worker lost (beats every 300 ms, lost after 2.5 s of silence, job locks of 2 s).
 */
export const FLEET_ENV = { MISSION_HEARTBEAT_MS: '300', MISSION_WORKER_TIMEOUT_MS: '2500', MISSION_JOB_LOCK_MS: '2000' };

export interface WorkerProcess {
  id: string;
  child: ChildProcess;
  /** Resolves with the exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  /** The worker's log lines so far (pino JSON), for assertions and for debugging a failure. */
  output(): string;
}

/**
 * A worker as deployed: `src/worker.ts` in a process of its own, on the test system's Redis, database and
 * queue prefix. Resolves once it is registered (listed active by GET /v1/workers).
 */
export async function startWorkerProcess(system: FleetHost, id: string, env: Record<string, string> = {}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: system.config.databaseUrl,
      MISSION_DATA_DIR: system.config.dataDir,
      REDIS_URL: system.config.redisUrl,
      MISSION_QUEUE_PREFIX: system.config.queuePrefix,
      MISSION_CLAUDE_BIN: system.config.claudeBin,
      MISSION_WORKER_ID: id,
      MISSION_HEARTBEAT_MS: String(system.config.heartbeatMs),
      MISSION_WORKER_TIMEOUT_MS: String(system.config.workerTimeoutMs),
      MISSION_JOB_LOCK_MS: String(system.config.jobLockMs),
      MISSION_SHUTDOWN_GRACE_MS: String(system.config.shutdownGraceMs),
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  recordChild(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const worker: WorkerProcess = { id, child, exited, output: () => output };
  await waitUntil(
    async () => {
      if (child.exitCode !== null) throw new Error(`worker ${id} exited with ${child.exitCode}:\n${output}`);
      const { workers } = (await (await system.fetch('/v1/workers?state=active')).json()) as { workers: { id: string }[] };
      return workers.some((w) => w.id === id);
    },
    // Starting takes seconds of CPU (tsx); on a loaded 2-core machine it has taken over 30 s.
    90_000,
    `worker ${id} to register`,
  ).catch(async (error: Error) => {
    // A worker that did not register in time is not left running: it would take the next test's tasks unseen.
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    throw new Error(`${error.message}; its output:\n${output.slice(-3_000)}`);
  });
  return worker;
}

/**
 * The worker processes a test file starts: each one's log is printed when a test fails, and when the file ends
 * they are all killed, then `close` runs (the test bed they joined).
 */
export function manageWorkers(workers: WorkerProcess[], close: () => Promise<void> | undefined): void {
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail')
      for (const w of workers) console.error(`--- worker ${w.id} log:\n${w.output().slice(-4_000)}`);
  });
  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await close();
  });
}

/** A JSON call on the API of `host()` that throws, naming the route and the answer, unless it answered 2xx. */
export function jsonApi(host: () => Pick<FleetHost, 'fetch'>) {
  return async <T>(route: string, init: { method?: string; body?: unknown } = {}): Promise<T> => {
    const res = await host().fetch(route, {
      method: init.method ?? 'GET',
      headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const body = (await res.json()) as T;
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${route} → ${res.status}: ${JSON.stringify(body)}`);
    return body;
  };
}
