import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TokenService } from '@mission/core';
import { openDatabase } from '@mission/store';
import { ApiClient } from '../../packages/cli/src/http.ts';
import { freePort } from '../../packages/cli/src/privateRedis.ts';
import { benchPrefix, type ScratchDatabase, scratchDatabase } from './environment.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Mission as deployed: an API process and a worker process (`src/api.ts`, `src/worker.ts`) on a scratch database, auth on. */
export interface MissionProcesses {
  url: string;
  /** The scratch database's name. */
  database: string;
  /** MISSION_QUEUE_PREFIX of both processes (their queues' and channels' names start with it). */
  queuePrefix: string;
  /** Authorization (an admin token) and JSON content type. */
  headers: Record<string, string>;
  /** Mission's own client (the `mission` CLI's) with the admin token: how the benches ask what they measure. */
  client: ApiClient;
  api: ChildProcess;
  worker: ChildProcess;
  /** The scratch database: its backends, its transactions (`transactionsAfterStop` once stopProcesses has run). */
  scratch: ScratchDatabase;
  /** Stops API and worker (their backends report their statistics as they disconnect). */
  stopProcesses(): Promise<void>;
  /** Drops the scratch database and data folder; call after stopProcesses. */
  cleanUp(): Promise<void>;
}

export async function startMissionProcesses(
  redisUrl: string,
  env: Record<string, string>,
  /** Settings of the scratch database, for every session opened on it (e.g. `log_statement`). */
  databaseSettings: Record<string, string> = {},
): Promise<MissionProcesses> {
  const database = await scratchDatabase(databaseSettings);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-bench-'));
  const port = await freePort();
  const queuePrefix = benchPrefix('mission');
  const fullEnv = {
    ...process.env,
    PORT: String(port),
    LOG_LEVEL: 'warn',
    DATABASE_URL: database.url,
    REDIS_URL: redisUrl,
    MISSION_DATA_DIR: dataDir,
    MISSION_QUEUE_PREFIX: queuePrefix,
    MISSION_SLOTS_FILE: '/nonexistent/slots.yaml',
    MISSION_PERMISSIONS_FILE: '/nonexistent/permissions.yaml',
    MISSION_AUTH: 'on',
    MISSION_APPROVAL_SECRET: 'bench-approval-secret-0123456789abcdef0123',
    MISSION_RATE_LIMIT_PER_MINUTE: '100000000',
    ...env,
  };
  // Migrate and make the token first, so neither process races the other to it.
  const setup = await openDatabase({ url: database.url, dataDir });
  const { token } = await new TokenService(setup.db).create({ name: 'bench', scopes: ['admin'] }, 'bench');
  await setup.close();
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const url = `http://127.0.0.1:${port}`;

  // Both start at once (each spends seconds loading its modules); the worker needs Redis and Postgres, not the API.
  const api = startProcess('src/api.ts', fullEnv);
  const worker = startProcess('src/worker.ts', { ...fullEnv, MISSION_WORKER_ID: 'bench-worker' });
  await waitForRegisteredWorker(url, headers, api, worker).catch(async (error: unknown) => {
    await Promise.all([stopProcess(api), stopProcess(worker)]); // neither outlives the failed start
    throw error;
  });

  return {
    url,
    database: database.name,
    queuePrefix,
    headers,
    client: new ApiClient(url, token),
    api,
    worker,
    scratch: database,
    async stopProcesses() {
      await Promise.all([stopProcess(api), stopProcess(worker)]);
    },
    async cleanUp() {
      await database.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function startProcess(script: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-4_000)));
  child.once('exit', (code) => code && console.error(`${script} exited with ${code}: ${errors}`));
  return child;
}

/** Waits for the API to be ready and the worker to have registered with it. */
async function waitForRegisteredWorker(
  url: string,
  headers: Record<string, string>,
  api: ChildProcess,
  worker: ChildProcess,
): Promise<void> {
  await until(async () => (await fetch(`${url}/readyz`)).ok, api, 'the API to be ready');
  await until(
    async () =>
      ((await (await fetch(`${url}/v1/workers?state=active`, { headers })).json()) as { workers: { id: string }[] }).workers.some(
        (w) => w.id === 'bench-worker',
      ),
    worker,
    'the worker to register',
  );
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
