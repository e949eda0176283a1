import os from 'node:os';
import { startApi } from '@mission/api';
import { type CoreRuntime, createCoreRuntime } from '@mission/core';
import { mcpHttp } from '@mission/mcp';
import { type Config, createLogger, type Logger, loadConfig, openDatabase } from '@mission/store';
import { type MissionWorker, startWorker } from '@mission/worker';
import { ApiClient } from '../../packages/cli/src/http.ts';
import { benchPrefix, benchRedisUrl, scratchDatabase } from './environment.ts';

export interface BenchSystem {
  /** Base URL of the API. */
  url: string;
  /** An admin token's Authorization header (the API runs with auth on, as deployed). */
  auth: { authorization: string };
  config: Config;
  /** Mission's own client (the `mission` CLI's) with the admin token: how the benches ask what they measure. */
  client: ApiClient;
  /** fetch on the API with the admin token. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  core: CoreRuntime;
  /** The worker in this process; undefined with `inProcessWorker: false` (the bench starts worker processes). */
  worker: MissionWorker | undefined;
  close(): Promise<void>;
}

/** API and (unless told otherwise) one worker in this process, on a scratch Postgres database and a queue prefix of their own. */
export async function startBenchSystem(
  env: Record<string, string>,
  options: { inProcessWorker?: boolean; logger?: Logger } = {},
): Promise<BenchSystem> {
  const database = await scratchDatabase();
  const config = loadConfig({
    ...process.env,
    PORT: '0',
    LOG_LEVEL: 'silent',
    DATABASE_URL: database.url,
    REDIS_URL: benchRedisUrl,
    MISSION_QUEUE_PREFIX: benchPrefix('mission'),
    MISSION_SLOTS_FILE: '/nonexistent/slots.yaml',
    MISSION_PERMISSIONS_FILE: '/nonexistent/permissions.yaml',
    MISSION_AUTH: 'on',
    MISSION_APPROVAL_SECRET: 'bench-approval-secret-0123456789abcdef',
    MISSION_RATE_LIMIT_PER_MINUTE: '100000000',
    ...env,
  });
  const logger = options.logger ?? createLogger({ level: 'silent' });
  const db = await openDatabase({ url: config.databaseUrl, dataDir: os.tmpdir() });
  const core = createCoreRuntime({ config, logger, database: db, redisUrl: benchRedisUrl });
  const app = await startApi(core, [mcpHttp(core)]);
  const worker =
    options.inProcessWorker === false ? undefined : await startWorker({ config, logger, database: db, redisUrl: benchRedisUrl });
  const address = app.server.address();
  const { token } = await core.tokens.create({ name: 'bench', scopes: ['admin'] }, 'bench');
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const auth = { authorization: `Bearer ${token}` };
  return {
    url,
    auth,
    config,
    client: new ApiClient(url, token),
    fetch: (route, init = {}) =>
      fetch(url + route, { ...init, headers: { ...auth, ...(init.headers as Record<string, string> | undefined) } }),
    core,
    worker,
    async close() {
      await app.close();
      await worker?.close(1_000);
      await core.taskQueue.obliterate({ force: true });
      await core.sessionQueue.obliterate({ force: true });
      await core.close();
      await db.close();
      await database.drop();
    },
  };
}
