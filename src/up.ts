import { startApi } from '@mission/api';
import { mcpHttp } from '@mission/mcp';
import { createCoreRuntime } from '@mission/core';
import { createLogger, loadConfig, onShutdownSignal, openDatabase, runMain } from '@mission/store';
import { findClaudeAuth, startWorker } from '@mission/worker';
import { startPrivateRedis } from './privateRedis.ts';

/**
 * `npm start`: the whole system in one process on embedded defaults — PGlite when DATABASE_URL is
 * unset, a private redis-server when REDIS_URL is unset, auth off unless MISSION_AUTH=on.
 */
runMain(async () => {
  // Local use: no API tokens unless MISSION_AUTH=on is set (the API logs a loud warning).
  const config = loadConfig({ MISSION_AUTH: 'off', ...process.env });
  const logger = createLogger({ level: config.logLevel, name: 'mission' });
  const redis = config.redisUrl
    ? {
        url: config.redisUrl,
        stop: async () => {
          // a Redis of its own (REDIS_URL) is not Mission's to stop
        },
      }
    : await startPrivateRedis(config.dataDir);
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  logger.info({ database: database.location, kind: database.kind, redis: redis.url }, 'storage ready');
  const core = createCoreRuntime({ config, logger, database, redisUrl: redis.url });
  const app = await startApi(core, [mcpHttp(core)]);
  const worker = await startWorker({ config, logger, database, redisUrl: redis.url });
  const base = `http://${config.host}:${config.port}`;
  logger.info(`Mission is up: ${base} — API docs ${base}/docs, queues ${base}/admin/queues, MCP ${base}/mcp`);
  if (!(await findClaudeAuth(config.childEnv))) {
    logger.warn(
      'claude has no way to the model here: no ANTHROPIC_API_KEY (nor token, Bedrock or Vertex variable) and no stored login — sessions will answer "Not logged in"; set ANTHROPIC_API_KEY, run `claude` once and /login, or give each slot its key in its env',
    );
  }

  onShutdownSignal(logger, async () => {
    await app.close();
    await worker.close();
    await core.close();
    await database.close();
    await redis.stop();
  });
});
