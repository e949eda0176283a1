import { startApi } from '@mission/api';
import { mcpHttp } from '@mission/mcp';
import { createCoreRuntime } from '@mission/core';
import { type Config, createLogger, type Logger, loadConfig, openDatabase, redactUrl, serveUntilSignal } from '@mission/store';
import { findClaudeAuth, startWorker } from '@mission/worker';
import { startPrivateRedis } from './privateRedis.ts';

/** The whole system running in this process. */
export interface RunningMission {
  /** Where the API listens: http://HOST:PORT. */
  url: string;
  /** Stops the API, the worker and the storage this process started, in that order. */
  close(): Promise<void>;
}

/**
 * API + MCP + one worker in one process on embedded defaults — PGlite when DATABASE_URL is unset, a private
 * redis-server when REDIS_URL is unset, auth off unless MISSION_AUTH=on. The CLI reaches it only through
 * ./hostModules.ts, since it needs Mission itself, which the built CLI loads from the checkout; src/up.ts imports it.
 */
export async function startAll(config: Config, logger: Logger): Promise<RunningMission> {
  const redis = config.redisUrl
    ? {
        url: config.redisUrl,
        stop: async () => {
          // a Redis of its own (REDIS_URL) is not Mission's to stop
        },
      }
    : await startPrivateRedis(config.dataDir);
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  logger.info({ database: database.location, kind: database.kind, redis: redactUrl(redis.url) }, 'storage ready');
  const core = createCoreRuntime({ config, logger, database, redisUrl: redis.url });
  const app = await startApi(core, [mcpHttp(core)]);
  const worker = await startWorker({ config, logger, database, redisUrl: redis.url });
  const url = `http://${config.host}:${config.port}`;
  logger.info(`Mission is up: ${url} — API docs ${url}/docs, queues ${url}/admin/queues, MCP ${url}/mcp`);
  if (!(await findClaudeAuth(config.childEnv))) {
    logger.warn(
      'claude has no way to the model here: no ANTHROPIC_API_KEY (nor token, Bedrock or Vertex variable) and no stored login — sessions will answer "Not logged in"; set ANTHROPIC_API_KEY, run `claude` once and /login, or give each slot its key in its env',
    );
  }
  return {
    url,
    async close() {
      await app.close();
      await worker.close();
      await core.close();
      await database.close();
      await redis.stop();
    },
  };
}

/** `npm start` and `mission up`: the whole system until SIGTERM or SIGINT (even while it starts), which close it and end the process. */
export async function runUp(env: NodeJS.ProcessEnv): Promise<void> {
  // Local use: no API tokens unless MISSION_AUTH=on is set (the API logs a loud warning).
  const config = loadConfig({ MISSION_AUTH: 'off', ...env });
  const logger = createLogger({ level: config.logLevel, name: 'mission' });
  await serveUntilSignal(logger, () => startAll(config, logger));
}
