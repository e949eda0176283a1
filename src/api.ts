import { startApi } from '@mission/api';
import { mcpHttp } from '@mission/mcp';
import { createCoreRuntime } from '@mission/core';
import { createLogger, loadConfig, runMain, serveUntilSignal } from '@mission/store';
import { openSharedStorage } from './storage.ts';

/** `npm run start:api`: the API alone, for deployments where workers run elsewhere. */
runMain(async () => {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: 'mission-api' });
  await serveUntilSignal(logger, async () => {
    const { database, redisUrl } = await openSharedStorage(config, 'start:api');
    const core = createCoreRuntime({ config, logger, database, redisUrl });
    const app = await startApi(core, [mcpHttp(core)]);
    return {
      async close() {
        await app.close();
        await core.close();
        await database.close();
      },
    };
  });
});
