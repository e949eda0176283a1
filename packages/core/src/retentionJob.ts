import { type Config, createRedis, type Database, type Logger, pruneEnded, queueNames, type Redis } from '@mission/store';
import { Queue, Worker } from 'bullmq';

/** How often the retention job runs when MISSION_RETENTION_DAYS is set. */
export const RETENTION_EVERY_MS = 60 * 60_000;
const RETENTION_JOB = 'retention';

/**
 * Schedules the retention job (one BullMQ job scheduler, however many API processes there are) and
 * takes its runs; with MISSION_RETENTION_DAYS=0 it removes the schedule an earlier start may have left.
 * Answers the function that stops taking runs.
 */
export function startRetention(options: {
  config: Config;
  logger: Logger;
  db: Database;
  redis: Redis;
  redisUrl: string;
}): () => Promise<void> {
  const { config, logger, db, redis, redisUrl } = options;
  const queue = new Queue(queueNames.maintenance, { connection: redis, prefix: config.queuePrefix });
  queue.on('error', (error) => logger.warn({ err: error, queue: queue.name }, 'queue error'));
  const days = config.retentionDays;
  if (days === 0) {
    queue
      .removeJobScheduler(RETENTION_JOB)
      .catch((error: unknown) => logger.warn({ err: error }, 'retention: could not remove the schedule'));
    return () => queue.close();
  }
  queue
    .upsertJobScheduler(RETENTION_JOB, { every: RETENTION_EVERY_MS }, { name: RETENTION_JOB })
    .catch((error: unknown) => logger.error({ err: error }, 'retention: could not schedule the job'));
  const worker = new Worker(
    queueNames.maintenance,
    async (job) => {
      if (job.name !== RETENTION_JOB) return;
      const removed = await pruneEnded(db, days);
      logger.info({ days, ...removed }, 'retention: deleted what ended before the retention period');
    },
    { connection: createRedis(redisUrl, 'mission-maintenance', logger), prefix: config.queuePrefix, concurrency: 1 },
  );
  worker.on('failed', (job, error) => logger.error({ err: error, job: job?.name }, 'retention job failed'));
  worker.on('error', (error) => logger.warn({ err: error }, 'maintenance worker error'));
  return async () => {
    await worker.close();
    await queue.close();
  };
}
