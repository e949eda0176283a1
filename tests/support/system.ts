import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startApi } from '@mission/api';
import { mcpHttp } from '@mission/mcp';
import { type CoreRuntime, createCoreRuntime } from '@mission/core';
import { type Caller } from '@mission/contracts';
import { ApprovalStore, type Config, createLogger, type DatabaseHandle, loadConfig, openDatabase } from '@mission/store';
import { type MissionWorker, startWorker } from '@mission/worker';
import type { FastifyInstance } from 'fastify';
import { createTestDatabase, redisUrl, uniquePrefix } from './isolation.ts';

/** A caller with every scope, for tests that call the core directly. */
export const ADMIN: Caller = { label: 'test-admin', scopes: ['admin'], key: 'test-admin' };

const JSON_BODY = { 'content-type': 'application/json' };

/** The approval secret of test systems (long enough for start-up to accept it with auth on). */
export const TEST_APPROVAL_SECRET = 'test-approval-secret-0123456789abcdef';

export interface TestSystem {
  /** Base URL of the API, e.g. http://127.0.0.1:41234 */
  url: string;
  /** An admin token's Authorization header: the API runs with auth on, as deployed. */
  auth: { authorization: string };
  /** fetch on the API with the admin token. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** A call of the API with the admin token, `body` sent as JSON: its status and its answer (JSON parsed, other text as it came). */
  call<T>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }>;
  config: Config;
  core: CoreRuntime;
  app: FastifyInstance;
  /** The worker in this process; undefined with `inProcessWorker: false`. */
  worker: MissionWorker | undefined;
  close(): Promise<void>;
}

/** The system's approvals as the worker's guard holds them: a test opens one there as a tool use waiting for a person would. */
export function approvalStoreOf({ core }: Pick<TestSystem, 'core'>): ApprovalStore {
  return new ApprovalStore(core.database.db, core.redis, core.subscriber, core.config.queuePrefix);
}

export interface TestSystemOptions {
  /** Environment laid over the defaults (MISSION_CLAUDE_BIN, ANTHROPIC_BASE_URL, …). */
  env?: Record<string, string>;
  /** Slots to create over the API path (cwd absolute). */
  slots?: Record<
    string,
    { cwd: string; model?: string; args?: string[]; env?: Record<string, string>; warmPool?: { size: number; idleSeconds?: number } }
  >;
  database?: 'postgres' | 'pglite';
  /** Reuse an open PGlite (it takes seconds to create one). */
  pglite?: DatabaseHandle;
  /** false: no worker in this process (the test starts worker processes of its own). */
  inProcessWorker?: boolean;
}

/** The whole system in this process — API on a free port, one worker — on real Redis and a database of its own. */
export async function startTestSystem(options: TestSystemOptions = {}): Promise<TestSystem> {
  const testDb = options.database === 'pglite' ? undefined : await createTestDatabase();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-test-'));
  const config = loadConfig({
    ...process.env,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    MISSION_QUEUE_PREFIX: uniquePrefix(),
    MISSION_DATA_DIR: dataDir,
    MISSION_SLOTS_FILE: path.join(dataDir, 'slots.yaml'),
    MISSION_SHUTDOWN_GRACE_MS: '2000',
    MISSION_PERMISSIONS_FILE: path.join(dataDir, 'permissions.yaml'),
    MISSION_AUTH: 'on',
    MISSION_APPROVAL_SECRET: TEST_APPROVAL_SECRET,
    // Tests poll fast with one token and walk the routes with wrong ones; both limits have tests of their own.
    MISSION_RATE_LIMIT_PER_MINUTE: '1000000',
    MISSION_FAILED_AUTH_LIMIT: '1000000',
    ...(testDb ? { DATABASE_URL: testDb.url } : { DATABASE_URL: '' }),
    REDIS_URL: redisUrl(),
    ...options.env,
  });
  const logger = createLogger({ level: config.logLevel, name: 'test' });
  const database = options.pglite ?? (await openDatabase({ url: config.databaseUrl, dataDir }));
  const core = createCoreRuntime({ config, logger, database, redisUrl: config.redisUrl! });
  const app = await startApi(core, [mcpHttp(core)]);
  for (const [id, slot] of Object.entries(options.slots ?? {})) await core.slots.put(id, slot);
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  // The API took a free port: that is where the worker's agents find its MCP server.
  const worker =
    options.inProcessWorker === false
      ? undefined
      : await startWorker({ config: { ...config, apiUrl: url }, logger, database, redisUrl: config.redisUrl! });
  const { token } = await core.tokens.create({ name: 'test-admin', scopes: ['admin'] }, 'test');
  const auth = { authorization: `Bearer ${token}` };
  const fetchApi: TestSystem['fetch'] = (route, init = {}) =>
    fetch(url + route, { ...init, headers: { ...auth, ...(init.headers as Record<string, string> | undefined) } });
  const system: TestSystem = {
    url,
    auth,
    fetch: fetchApi,
    call: async <T>(method: string, route: string, body?: unknown) => {
      const res = await fetchApi(route, body === undefined ? { method } : { method, headers: JSON_BODY, body: JSON.stringify(body) });
      const text = await res.text();
      return { status: res.status, body: (res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T };
    },
    config,
    core,
    app,
    worker,
    async close() {
      await app.close();
      await system.worker?.close(1_000);
      await core.taskQueue.obliterate({ force: true }).catch(() => {
        /* best effort: the queue's prefix is this test's own */
      });
      await core.sessionQueue.obliterate({ force: true }).catch(() => {
        /* best effort: the queue's prefix is this test's own */
      });
      await core.close();
      if (!options.pglite) await database.close();
      await testDb?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return system;
}
