import { createLogger, loadConfig, runMain, serveUntilSignal } from '@mission/store';
import { startWorker } from '@mission/worker';
import { openSharedStorage } from './storage.ts';

/** `npm run start:worker`: one worker, for deployments that scale workers out. */
runMain(async () => {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: 'mission-worker' });
  await serveUntilSignal(logger, async () => {
    const { database, redisUrl } = await openSharedStorage(config, 'start:worker');
    const worker = await startWorker({ config, logger, database, redisUrl });
    return {
      async close() {
        await worker.close();
        await database.close();
      },
    };
  });
});
