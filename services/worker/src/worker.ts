import os from 'node:os';
import {
  ApprovalStore,
  ChannelSubscriber,
  channels,
  type Config,
  type ControlMessage,
  createRedis,
  type DatabaseHandle,
  EventLog,
  type Logger,
  queueNames,
  type TaskJobData,
  tables,
} from '@mission/shared';
import { DelayedError, Worker } from 'bullmq';
import { eq, sql } from 'drizzle-orm';
import { PermissionGuard } from './permissions/permissionGuard.ts';
import { PermissionPromptServer } from './permissions/promptServer.ts';
import { SessionHost } from './sessions/sessionHost.ts';
import { TaskProcessor } from './taskProcessor.ts';

const HEARTBEAT_MS = 5_000;

export interface MissionWorker {
  id: string;
  /** Stops taking jobs, lets running ones finish for up to `graceMs`, then stops them. */
  close(graceMs?: number): Promise<void>;
}

export async function startWorker(options: {
  config: Config;
  logger: Logger;
  database: DatabaseHandle;
  redisUrl: string;
}): Promise<MissionWorker> {
  const { config, database } = options;
  const workerId = config.workerId;
  const logger = options.logger.child({ workerId });
  const connection = createRedis(options.redisUrl, `mission-worker-${workerId}`);
  const control = createRedis(options.redisUrl, `mission-worker-control-${workerId}`);
  const events = new EventLog(database.db, connection, config.queuePrefix);
  const subscriber = new ChannelSubscriber(createRedis(options.redisUrl, `mission-worker-sub-${workerId}`));
  const approvals = new ApprovalStore(database.db, connection, subscriber, config.queuePrefix);
  const guard = new PermissionGuard({ db: database.db, events, approvals, approvalTimeoutMs: config.approvalTimeoutMs, logger });
  const prompts = new PermissionPromptServer(guard, logger);
  await prompts.start();
  const processor = new TaskProcessor({
    prompts,
    db: database.db,
    events,
    logger,
    workerId,
    claudeBin: config.claudeBin,
    baseEnv: config.childEnv,
  });

  const bullWorker = new Worker<TaskJobData>(
    queueNames.tasks,
    async (job, token, signal) => {
      const outcome = await processor.process(job.data.taskId, signal ?? new AbortController().signal);
      if (outcome === 'requeue') {
        // Back to the queue (a delay of 0 makes it waiting again) instead of completed.
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
    },
    { connection, prefix: config.queuePrefix, concurrency: config.workerConcurrency },
  );
  const sessionHost = new SessionHost({
    db: database.db,
    events,
    guard,
    approvals,
    connection,
    subscriber,
    logger,
    workerId,
    queuePrefix: config.queuePrefix,
    claudeBin: config.claudeBin,
    baseEnv: config.childEnv,
    maxSessions: config.maxSessions,
  });

  bullWorker.on('failed', (job, error) => logger.error({ err: error, taskId: job?.data.taskId }, 'task job failed'));
  bullWorker.on('error', (error) => logger.error({ err: error }, 'worker error'));

  const controlChannel = channels(config.queuePrefix).control;
  control.on('message', (_channel: string, text: string) => {
    const message = JSON.parse(text) as ControlMessage;
    if (message.type === 'cancel_task' && bullWorker.cancelJob(message.taskId, 'cancel')) {
      logger.info({ taskId: message.taskId }, 'cancelling task');
    }
  });
  await control.subscribe(controlChannel);

  const { workers } = tables;
  const registration = { host: os.hostname(), pid: process.pid, capacity: config.workerConcurrency };
  await database.db
    .insert(workers)
    .values({ id: workerId, ...registration })
    .onConflictDoUpdate({ target: workers.id, set: { ...registration, startedAt: sql`now()`, heartbeatAt: sql`now()` } });
  const heartbeat = setInterval(() => {
    database.db
      .update(workers)
      .set({ heartbeatAt: sql`now()` })
      .where(eq(workers.id, workerId))
      .catch((error: unknown) => logger.warn({ err: error }, 'heartbeat failed'));
  }, HEARTBEAT_MS);
  heartbeat.unref();
  logger.info({ queue: queueNames.tasks, concurrency: config.workerConcurrency }, 'worker started');

  return {
    id: workerId,
    async close(graceMs = config.shutdownGraceMs) {
      logger.info({ graceMs }, 'worker draining');
      clearInterval(heartbeat);
      const closed = bullWorker.close();
      const timer = setTimeout(() => {
        logger.warn('grace period over: stopping running tasks');
        bullWorker.cancelAllJobs('shutdown');
      }, graceMs);
      await Promise.all([closed, sessionHost.close()]);
      clearTimeout(timer);
      await prompts.close();
      await database.db.delete(workers).where(eq(workers.id, workerId)).catch(() => {});
      control.disconnect();
      subscriber.disconnect();
      connection.disconnect();
      logger.info('worker stopped');
    },
  };
}
