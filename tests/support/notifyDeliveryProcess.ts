/**
 * A process that only sends notification deliveries (the API's delivery worker, on its own), so a test can
 * kill it with SIGKILL mid-request. Env: DATABASE_URL, REDIS_URL, MISSION_QUEUE_PREFIX, LOCK_MS, WORKER_NAME.
 */
import { startDeliveryWorker } from '@mission/core';
import { createLogger, createRedis, openDatabase } from '@mission/store';

const logger = createLogger({ level: 'info', name: 'notify-delivery' });
const database = await openDatabase({ url: process.env.DATABASE_URL, dataDir: '.' });
const worker = startDeliveryWorker({
  db: database.db,
  connection: createRedis(process.env.REDIS_URL!, 'notify-delivery', logger),
  queuePrefix: process.env.MISSION_QUEUE_PREFIX!,
  lockMs: Number(process.env.LOCK_MS),
  name: process.env.WORKER_NAME,
  logger,
});
await worker.waitUntilReady();
process.stdout.write('ready\n');
