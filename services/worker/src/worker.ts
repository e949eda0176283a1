import {
  ApprovalStore,
  ChannelSubscriber,
  channels,
  type Config,
  type ControlMessage,
  type CoordinationJobData,
  createFleetRecovery,
  createRedis,
  type DatabaseHandle,
  EventLog,
  TaskCanceller,
  type Logger,
  queueNames,
  SlotPauses,
  type TaskJobData,
  WorkerRegistration,
} from '@mission/store';
import { DelayedError, Queue, Worker } from 'bullmq';
import { AgentLauncher, resolveAgentIdentity } from './agentProcess.ts';
import { logClaudeVersion } from './claudeVersion.ts';
import { PermissionGuard } from './permissions/permissionGuard.ts';
import { PermissionPromptServer } from './permissions/promptServer.ts';
import { HookServer } from './hooks/hookServer.ts';
import { settleCoordination } from './coordinationProcessor.ts';
import type { StopReason } from './headless/headlessRunner.ts';
import { SessionHost } from './sessions/sessionHost.ts';
import { Spawner } from './spawner/spawner.ts';
import { TaskProcessor } from './taskProcessor.ts';
import { WarmPools } from './headless/warmPool.ts';
import { WorkerLease } from './workerLease.ts';

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
  const slotIdentities = [];
  for (const { slot, user } of config.slotAgentUsers)
    slotIdentities.push({ slot, identity: await resolveAgentIdentity(user, undefined, `MISSION_SLOT_AGENT_USERS (slot ${slot})`) });
  const launcher = new AgentLauncher({ claudeBin: config.claudeBin, inheritedEnv: config.childEnv, identity, slotIdentities });
  if (identity) logger.info({ agentUser: identity.user, uid: identity.uid }, 'agents run as their own user');
  else
    logger.warn(
      { uid: process.getuid?.() },
      "agents run as the worker's own user: they can read its environment and files (set MISSION_AGENT_USER, and run the worker as root, to separate them)",
    );
  for (const entry of slotIdentities)
    logger.info(
      { slot: entry.slot, agentUser: entry.identity?.user ?? 'the worker', uid: entry.identity?.uid },
      "this slot's agents run as their own user",
    );
  // Not awaited: the worker takes work meanwhile; the line says which claude it runs, and warns of an untested one.
  const versionCheck = new AbortController();
  void logClaudeVersion(config.claudeBin, config.childEnv, logger, versionCheck.signal);
  const connection = createRedis(options.redisUrl, `mission-worker-${workerId}`, logger);
  const control = createRedis(options.redisUrl, `mission-worker-control-${workerId}`, logger);
  const { events, publisher } = EventLog.withOwnPublisher(database.db, {
    redisUrl: options.redisUrl,
    connectionName: `mission-worker-pub-${workerId}`,
    queuePrefix: config.queuePrefix,
    logger,
    // Every running task publishes its events here: those published in one turn of the loop share one write.
    autoPipelining: true,
  });
  const subscriber = new ChannelSubscriber(createRedis(options.redisUrl, `mission-worker-sub-${workerId}`, logger), logger);
  const approvals = new ApprovalStore(database.db, connection, subscriber, config.queuePrefix);
  const guard = new PermissionGuard({ db: database.db, events, approvals, approvalTimeoutMs: config.approvalTimeoutMs, logger });
  const prompts = new PermissionPromptServer(guard, logger, config.approvalTimeoutMs, config.costReportMs);
  await prompts.start();
  const hookServer = new HookServer(logger);
  await hookServer.start();
  const taskQueue = new Queue<TaskJobData>(queueNames.tasks, { connection, prefix: config.queuePrefix });
  taskQueue.on('error', (error) => logger.warn({ err: error }, 'task queue error'));
  const canceller = new TaskCanceller({ db: database.db, events, publisher: connection, queuePrefix: config.queuePrefix });
  const fleetRecovery = createFleetRecovery({ config, connection, db: database.db, events, approvals, taskQueue, canceller, logger });
  const { recovery, liveness } = fleetRecovery;
  // Agents are started by a small process of the worker's: spawning from the worker itself blocks its event loop.
  const spawner = new Spawner(logger);
  spawner.start();
  const warm = new WarmPools({ db: database.db, launcher, spawner, prompts, logger, workerSlots: config.workerSlots });
  const reconcileWarm = () =>
    warm.reconcile().catch((error: unknown) => logger.warn({ err: error }, 'could not bring the warm agent pools in line with the slots'));
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
    spawner,
    apiUrl: config.apiUrl,
    canceller,
  });

  // The tasks this process is running now: its heartbeat says so (a run whose job Redis lost is still held).
  const runningTasks = new Set<string>();
  const bullWorker = new Worker<TaskJobData>(
    queueNames.tasks,
    async (job, token, signal) => {
      runningTasks.add(job.data.taskId);
      const run = await processor
        .process(job.data.taskId, signal ?? new AbortController().signal)
        .finally(() => runningTasks.delete(job.data.taskId));
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
      // Takes jobs once a predecessor under this id is declared lost (below), not before: see `run`.
      autorun: false,
    },
  );
  const sessionHost = new SessionHost({
    db: database.db,
    events,
    guard,
    hookServer,
    approvalTimeoutMs: config.approvalTimeoutMs,
    costReportMs: config.costReportMs,
    approvals,
    connection,
    subscriber,
    logger,
    workerId,
    queuePrefix: config.queuePrefix,
    launcher,
    spawner,
    apiUrl: config.apiUrl,
    maxSessions: config.maxSessions,
    startTimeoutMs: config.sessionStartTimeoutMs,
    jobLockMs: config.jobLockMs,
    slotPausePollMs: config.heartbeatMs,
    handover: fleetRecovery.handover,
  });

  const coordinationWorker = new Worker<CoordinationJobData>(
    queueNames.coordinations,
    async (job) => settleCoordination({ db: database.db, events, logger }, job.data.taskId),
    {
      connection,
      prefix: config.queuePrefix,
      concurrency: config.workerConcurrency,
      autorun: false,
    },
  );
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
  // Before taking a job: a stalled job of the predecessor, taken by this process while its tasks still show
  // `running` here, would be skipped as this worker's own and its task left running for ever.
  await recovery.declareLost(workerId, 'restarted');
  await registration.register();
  for (const queueWorker of [bullWorker, coordinationWorker]) {
    queueWorker
      .run()
      .catch((error: unknown) => logger.error({ err: error, queue: queueWorker.name }, 'queue worker stopped with an error'));
  }
  // Past its lease (no heartbeat landed in time) this worker stops its task runs and sessions itself, before
  // the fleet can declare it lost and hand them to another; what becomes of them is left to the fleet's sweep.
  const lease = new WorkerLease(config.workerTimeoutMs - config.heartbeatMs);
  let fenced = false;
  const checkLease = () => {
    if (fenced || !lease.expired()) return;
    fenced = true;
    logger.error(
      { silentForMs: Math.round(lease.silentForMs()) },
      'no heartbeat landed within the lease: stopping the task runs and sessions here (the fleet settles them)',
    );
    bullWorker.cancelAllJobs('lease' satisfies StopReason);
    sessionHost.fence().catch((error: unknown) => logger.error({ err: error }, 'could not stop the sessions past the lease'));
  };
  const landed = (sentAt: number) => {
    lease.landed(sentAt);
    if (!lease.expired()) fenced = false;
  };
  // Beats to Redis apart from Postgres: while one of them is out, the other still says this worker lives.
  let redisBeat: Promise<void> | undefined;
  const beatToRedis = () => {
    const sentAt = lease.sending();
    redisBeat ??= liveness
      .beat(workerId)
      .then(() => landed(sentAt))
      .catch((error: unknown) => logger.warn({ err: error }, 'Redis heartbeat failed'))
      .finally(() => (redisBeat = undefined));
  };
  await liveness.beat(workerId);
  const leaseCheck = setInterval(checkLease, Math.max(50, Math.floor(config.heartbeatMs / 4)));
  leaseCheck.unref();
  const heartbeat = setInterval(() => {
    checkLease();
    beatToRedis();
    void reconcileWarm();
    const sentAt = lease.sending();
    registration
      .heartbeat([...runningTasks])
      .then(async (known) => {
        landed(sentAt);
        if (!known) {
          logger.error('the fleet declared this worker lost (no heartbeat in time): ending the sessions it still held');
          return sessionHost.abandonAll();
        }
        await sessionHost
          .endSessionsOfEndedTasks()
          .catch((error: unknown) => logger.warn({ err: error }, 'could not end the sessions of ended tasks'));
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'heartbeat failed'));
  }, config.heartbeatMs);
  heartbeat.unref();
  // Slot pauses (a usage limit) whose reset came end here, on whichever worker looks first.
  const slotPauses = new SlotPauses({ db: database.db, events });
  const resumeSlots = setInterval(() => {
    slotPauses
      .resumeDue()
      .then((slots) => slots.length > 0 && logger.info({ slots }, 'usage limit reset: slots resumed'))
      .catch((error: unknown) => logger.warn({ err: error }, 'could not resume the slots whose usage limit reset'));
  }, config.heartbeatMs);
  resumeSlots.unref();
  const stopRecovery = recovery.start(config.heartbeatMs);
  logger.info({ queue: queueNames.tasks, concurrency: config.workerConcurrency, slots: config.workerSlots ?? 'all' }, 'worker started');

  return {
    id: workerId,
    warmPools: warm,
    async close(graceMs = config.shutdownGraceMs) {
      logger.info({ graceMs }, 'worker draining');
      versionCheck.abort();
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
      clearInterval(leaseCheck);
      clearInterval(resumeSlots);
      await spawner.close();
      await prompts.close();
      await hookServer.close();
      await taskQueue.close();
      await fleetRecovery.close();
      await registration.leave().catch((error: unknown) => logger.warn({ err: error }, 'could not leave the worker registry'));
      await liveness.forget(workerId).catch((error: unknown) => logger.warn({ err: error }, 'could not remove the Redis heartbeat'));
      control.disconnect();
      subscriber.disconnect();
      publisher.disconnect();
      connection.disconnect();
      logger.info('worker stopped');
    },
  };
}
