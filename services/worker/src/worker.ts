import {
  ApprovalStore,
  ChannelSubscriber,
  channels,
  type Config,
  type ControlMessage,
  type CoordinationJobData,
  createRedis,
  type DatabaseHandle,
  EventLog,
  FleetRecovery,
  WorkerLiveness,
  TaskCanceller,
  type Logger,
  queueNames,
  type TaskJobData,
  WorkerRegistration,
} from '@mission/shared';
import { DelayedError, Queue, Worker } from 'bullmq';
import { AgentLauncher, resolveAgentIdentity } from './agentProcess.ts';
import { PermissionGuard } from './permissions/permissionGuard.ts';
import { PermissionPromptServer } from './permissions/promptServer.ts';
import { HookServer } from './hooks/hookServer.ts';
import { settleCoordination } from './coordinationProcessor.ts';
import { SessionHost } from './sessions/sessionHost.ts';
import { TaskProcessor } from './taskProcessor.ts';
import { WarmPools } from './headless/warmPool.ts';

/** BullMQ may hand a stalled job back many times: the task's own retry policy decides what runs again. */
const MAX_STALLED_COUNT = 100;

export interface MissionWorker {
  id: string;
  /** The warm agents of slots with a `warmPool`. */
  warmPools: WarmPools;
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
  // Before anything else: a worker that cannot run its agents as their own user does not start.
  const identity = await resolveAgentIdentity(config.agentUser);
  const launcher = new AgentLauncher({ claudeBin: config.claudeBin, inheritedEnv: config.childEnv, identity });
  if (identity) logger.info({ agentUser: identity.user, uid: identity.uid }, 'agents run as their own user');
  else logger.warn({ uid: process.getuid?.() }, "agents run as the worker's own user: they can read its environment and files (set MISSION_AGENT_USER, and run the worker as root, to separate them)");
  const connection = createRedis(options.redisUrl, `mission-worker-${workerId}`, logger);
  const control = createRedis(options.redisUrl, `mission-worker-control-${workerId}`, logger);
  const events = new EventLog(database.db, connection, config.queuePrefix);
  const subscriber = new ChannelSubscriber(createRedis(options.redisUrl, `mission-worker-sub-${workerId}`, logger));
  const approvals = new ApprovalStore(database.db, connection, subscriber, config.queuePrefix);
  const guard = new PermissionGuard({ db: database.db, events, approvals, approvalTimeoutMs: config.approvalTimeoutMs, logger });
  const prompts = new PermissionPromptServer(guard, logger, config.approvalTimeoutMs);
  await prompts.start();
  const hookServer = new HookServer(logger);
  await hookServer.start();
  const taskQueue = new Queue<TaskJobData>(queueNames.tasks, { connection, prefix: config.queuePrefix });
  taskQueue.on('error', (error) => logger.warn({ err: error }, 'task queue error'));
  const canceller = new TaskCanceller({ db: database.db, events, publisher: connection, queuePrefix: config.queuePrefix });
  const liveness = new WorkerLiveness(connection, config.queuePrefix, config.workerTimeoutMs);
  const recovery = new FleetRecovery({ db: database.db, events, approvals, taskQueue, canceller, logger, workerTimeoutMs: config.workerTimeoutMs, liveness });
  const warm = new WarmPools({ db: database.db, launcher, prompts, logger, workerSlots: config.workerSlots });
  const reconcileWarm = () => warm.reconcile().catch((error: unknown) => logger.warn({ err: error }, 'could not bring the warm agent pools in line with the slots'));
  await reconcileWarm();
  const processor = new TaskProcessor({
    warm,
    recovery,
    workerSlots: config.workerSlots,
    prompts,
    db: database.db,
    events,
    logger,
    workerId,
    launcher,
    apiUrl: config.apiUrl,
    canceller,
  });

  const bullWorker = new Worker<TaskJobData>(
    queueNames.tasks,
    async (job, token, signal) => {
      const run = await processor.process(job.data.taskId, signal ?? new AbortController().signal);
      if (run.kind === 'later') {
        // Back to the queue after the delay (0: waiting again at once) instead of completed.
        await job.moveToDelayed(Date.now() + run.delayMs, token);
        throw new DelayedError();
      }
    },
    {
      connection,
      prefix: config.queuePrefix,
      concurrency: config.workerConcurrency,
      lockDuration: config.jobLockMs,
      stalledInterval: config.jobLockMs,
      maxStalledCount: MAX_STALLED_COUNT,
    },
  );
  const sessionHost = new SessionHost({
    db: database.db,
    events,
    guard,
    hookServer,
    approvalTimeoutMs: config.approvalTimeoutMs,
    approvals,
    connection,
    subscriber,
    logger,
    workerId,
    queuePrefix: config.queuePrefix,
    launcher,
    apiUrl: config.apiUrl,
    maxSessions: config.maxSessions,
    startTimeoutMs: config.sessionStartTimeoutMs,
    jobLockMs: config.jobLockMs,
  });

  const coordinationWorker = new Worker<CoordinationJobData>(queueNames.coordinations, async (job) => settleCoordination({ db: database.db, events, logger }, job.data.taskId), {
    connection,
    prefix: config.queuePrefix,
    concurrency: config.workerConcurrency,
  });
  coordinationWorker.on('error', (error) => logger.error({ err: error }, 'coordination worker error'));

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

  const registration = new WorkerRegistration(database.db, {
    id: workerId,
    capacity: config.workerConcurrency,
    maxSessions: config.maxSessions,
    slots: config.workerSlots,
  });
  // A previous process under this id that did not leave (a restarted container): what it held is lost.
  await recovery.declareLost(workerId, 'restarted');
  await registration.register();
  // Beats to Redis apart from Postgres: while one of them is out, the other still says this worker lives.
  let redisBeat: Promise<void> | undefined;
  const beatToRedis = () => {
    redisBeat ??= liveness
      .beat(workerId)
      .catch((error: unknown) => logger.warn({ err: error }, 'Redis heartbeat failed'))
      .finally(() => (redisBeat = undefined));
  };
  await liveness.beat(workerId);
  const heartbeat = setInterval(() => {
    beatToRedis();
    void reconcileWarm();
    registration
      .heartbeat()
      .then(async (known) => {
        if (!known) {
          logger.error('the fleet declared this worker lost (no heartbeat in time): ending the sessions it still held');
          return sessionHost.abandonAll();
        }
        await sessionHost.endSessionsOfEndedTasks().catch((error: unknown) => logger.warn({ err: error }, 'could not end the sessions of ended tasks'));
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'heartbeat failed'));
  }, config.heartbeatMs);
  heartbeat.unref();
  const stopRecovery = recovery.start(config.heartbeatMs);
  logger.info({ queue: queueNames.tasks, concurrency: config.workerConcurrency, slots: config.workerSlots ?? 'all' }, 'worker started');

  return {
    id: workerId,
    warmPools: warm,
    async close(graceMs = config.shutdownGraceMs) {
      logger.info({ graceMs }, 'worker draining');
      await stopRecovery();
      warm.close();
      await registration.draining().catch((error: unknown) => logger.warn({ err: error }, 'could not mark the worker draining'));
      const closed = bullWorker.close();
      const timer = setTimeout(() => {
        logger.warn('grace period over: stopping running tasks');
        bullWorker.cancelAllJobs('shutdown');
      }, graceMs);
      await Promise.all([closed, sessionHost.close(), coordinationWorker.close()]);
      clearTimeout(timer);
      clearInterval(heartbeat);
      await prompts.close();
      await hookServer.close();
      await taskQueue.close();
      await registration.leave().catch((error: unknown) => logger.warn({ err: error }, 'could not leave the worker registry'));
      await liveness.forget(workerId).catch((error: unknown) => logger.warn({ err: error }, 'could not remove the Redis heartbeat'));
      control.disconnect();
      subscriber.disconnect();
      connection.disconnect();
      logger.info('worker stopped');
    },
  };
}
