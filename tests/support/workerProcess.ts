import { type ChildProcess, spawn } from 'node:child_process';
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
    30_000,
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
