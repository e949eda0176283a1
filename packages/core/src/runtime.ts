import { randomUUID } from 'node:crypto';
import {
  type Caller,
  type EventOwner,
  NotFoundError,
  parseInput,
  type TaskRead,
  type WorkerInfo,
  workerListQuerySchema,
} from '@mission/contracts';
import {
  ApprovalStore,
  CommandClient,
  commandReplyPrefix,
  type Config,
  createRedis,
  type DatabaseHandle,
  EventLog,
  ChannelSubscriber,
  channels,
  createFleetRecovery,
  heldSessionCount,
  TaskCanceller,
  listWorkers,
  type Logger,
  queueNames,
  type Redis,
  REQUEST_COMMAND_TIMEOUT_MS,
  type SpawnJobData,
  type TaskJobData,
} from '@mission/store';
import { FlowProducer, Queue } from 'bullmq';
import { AccessPolicy } from './access.ts';
import { ApprovalService } from './approvals.ts';
import { AuditService } from './audit.ts';
import { type Notifications, startNotifications } from './notifications/index.ts';
import { ReceiptService } from './receipts.ts';
import { CcRecordService } from './ccRecords.ts';
import { CoordinationService } from './coordination.ts';
import { MessageService } from './messages.ts';
import { fleetOverview, type Overview, type QueueDepth, queueDepth } from './overview.ts';
import { startRetention } from './retentionJob.ts';
import { RoleService } from './roles.ts';
import { TokenCache } from './tokenCache.ts';
import { followTokenRevocations } from './tokenRevocations.ts';
import { TokenService } from './tokens.ts';
import { RequestShutdown } from './requestShutdown.ts';
import { SessionService } from './sessions.ts';
import { SlotService } from './slots.ts';
import { TaskService } from './tasks.ts';

/** The caller when auth is off (`MISSION_AUTH=off`, local `npm start` only). */
const LOCAL_OPERATOR: Caller = { label: 'local', scopes: ['admin'], key: 'local' };

/** Everything the API and the MCP server need to act on tasks, slots and events: one per process. */
export interface CoreRuntime {
  config: Config;
  logger: Logger;
  database: DatabaseHandle;
  redis: Redis;
  taskQueue: Queue<TaskJobData>;
  sessionQueue: Queue<SpawnJobData>;
  events: EventLog;
  subscriber: ChannelSubscriber;
  slots: SlotService;
  tasks: TaskService;
  sessions: SessionService;
  messages: MessageService;
  coordinations: CoordinationService;
  approvals: ApprovalService;
  roles: RoleService;
  tokens: TokenService;
  /** Webhook subscriptions, derived from the event stream and delivered on the `notifications` queue. */
  notifications: Notifications;
  /** Agent-raised actions through the gate, and their receipts. */
  receipts: ReceiptService;
  audit: AuditService;
  /** Claude Code's own records (transcripts, task lists) reported by every worker. */
  cc: CcRecordService;
  /** Who may do what: scopes, an agent's role tools, the session hierarchy (REST and MCP ask it alike). */
  access: AccessPolicy;
  /** A task as `caller` may read it (a forbidden one is refused); while it runs, with the approvals it waits for. */
  readTask(id: string, caller: Caller): Promise<TaskRead>;
  /** Resolves once a task's or a session's events may be read by `caller`: it exists (404) and is theirs to read (403). */
  assertMayReadEvents(owner: EventOwner, caller: Caller): Promise<void>;
  /** Who is calling, from a bearer token; with MISSION_AUTH=off everyone is the local operator. */
  authenticate(token: string | undefined): Promise<Caller>;
  /** Resolves once this process hears token revocations: verified tokens are cached from then on (tokenRevocations.ts). */
  tokenRevocationsFollowed: Promise<void>;
  /** Counts of tasks, sessions, workers and queue depths. */
  overview(): Promise<Overview>;
  /** The worker registry, with each worker's load. */
  workers(query: unknown): Promise<WorkerInfo[]>;
  /** A queue's depth by job state ('tasks' or 'sessions'; the sessions one with the `live` sessions workers hold). */
  queueDepth(name: string): Promise<QueueDepth & { name: string; live?: number }>;
  /**
   * Answers every request still waiting with 503 (when the API shuts down; `reason` says so): a command on a worker,
   * an ask, a coordination, a message's reply, a spawn's wait for a worker — the answer naming what goes on.
   */
  cancelWaits(reason: string): void;
  close(): Promise<void>;
}

export function createCoreRuntime(options: { config: Config; logger: Logger; database: DatabaseHandle; redisUrl: string }): CoreRuntime {
  const { config, logger, database, redisUrl } = options;
  // Request paths fail fast while Redis is down (503), rather than wait for it to come back.
  const redis = createRedis(redisUrl, 'mission-core', logger, { commandTimeoutMs: REQUEST_COMMAND_TIMEOUT_MS });
  const subscriberConnection = createRedis(redisUrl, 'mission-core-sub', logger);
  const taskQueue = new Queue<TaskJobData>(queueNames.tasks, {
    connection: redis,
    prefix: config.queuePrefix,
    defaultJobOptions: {
      attempts: 1,
      removeOnComplete: { count: 1_000 },
      removeOnFail: { count: 5_000 },
    },
  });
  const sessionQueue = new Queue<SpawnJobData>(queueNames.sessions, { connection: redis, prefix: config.queuePrefix });
  for (const queue of [taskQueue, sessionQueue])
    queue.on('error', (error) => logger.warn({ err: error, queue: queue.name }, 'queue error'));
  const { events, publisher } = EventLog.withOwnPublisher(database.db, {
    redisUrl,
    connectionName: 'mission-core-pub',
    queuePrefix: config.queuePrefix,
    logger,
    commandTimeoutMs: REQUEST_COMMAND_TIMEOUT_MS,
  });
  // Every event reaches this process anyway (the notification deriver takes them all): one pattern subscription
  // brings them, and a request waiting on one owner's events listens to it with no SUBSCRIBE round trip.
  // And the replies to this process's worker commands: under a prefix of its own, heard through a pattern too.
  const commandClientId = randomUUID();
  const subscriber = new ChannelSubscriber(subscriberConnection, logger, {
    feed: channels(config.queuePrefix).eventsPrefix,
    prefixes: [commandReplyPrefix(config.queuePrefix, commandClientId)],
  });
  const slots = new SlotService(database.db, config.slotRoots, { events, taskQueue });
  const canceller = new TaskCanceller({ db: database.db, events, publisher: redis, queuePrefix: config.queuePrefix });
  const shutdown = new RequestShutdown();
  const tasks = new TaskService({
    db: database.db,
    slots,
    queue: taskQueue,
    events,
    subscriber,
    canceller,
    taskTimeoutMs: config.taskTimeoutMs,
    askTimeoutMs: config.askTimeoutMs,
    maxPromptChars: config.maxPromptChars,
    shutdown,
    logger,
  });
  const commands = new CommandClient(redis, subscriber, config.queuePrefix, commandClientId);
  const approvalStore = new ApprovalStore(database.db, redis, subscriber, config.queuePrefix);
  const approvals = new ApprovalService({
    store: approvalStore,
    secret: config.approvalSecret,
    auth: config.auth,
    publicUrl: config.publicUrl ?? `http://${config.host}:${config.port}`,
    logger,
  });
  const sessions = new SessionService({
    db: database.db,
    slots,
    queue: sessionQueue,
    events,
    subscriber,
    commands,
    approvals,
    logger,
    pickupTimeoutMs: config.sessionPickupTimeoutMs,
    shutdown,
  });
  const tokenCache = new TokenCache(config.tokenCacheTtlMs);
  const tokens = new TokenService(database.db, { cache: tokenCache, announce: (revoked) => events.announceRevokedTokens(revoked) });
  const revocations = followTokenRevocations({
    cache: tokenCache,
    subscriber,
    connection: subscriberConnection,
    queuePrefix: config.queuePrefix,
    logger,
  }).catch((error: unknown) => {
    logger.warn({ err: error }, 'could not subscribe to token revocations: API tokens are looked up on every request');
    return () => {
      // nothing to unsubscribe: the subscription never started
    };
  });
  const messages = new MessageService({ db: database.db, sessions, events, subscriber, commands, shutdown, logger });
  const coordinations = new CoordinationService({
    db: database.db,
    slots,
    tasks,
    events,
    flows: new FlowProducer({ connection: redis, prefix: config.queuePrefix }),
    taskTimeoutMs: config.taskTimeoutMs,
    shutdown,
    logger,
  });
  // The API sweeps for lost workers too, so sessions of a dead fleet are reported lost even with no worker left.
  const fleetRecovery = createFleetRecovery({
    config,
    connection: redis,
    db: database.db,
    events,
    approvals: approvalStore,
    taskQueue,
    canceller,
    logger,
  });
  const { recovery } = fleetRecovery;
  const stopRecovery = recovery.start(config.heartbeatMs);
  const stopRetention = startRetention({ config, logger, db: database.db, redis, redisUrl });
  const notifications = startNotifications({
    config,
    db: database.db,
    redisUrl,
    subscriber,
    subscriberConnection,
    approvalLinks: (approval) => approvals.signedLinks(approval),
    logger,
  });
  const access = new AccessPolicy(database.db);
  const queues: Record<string, Queue> = { [queueNames.tasks]: taskQueue, [queueNames.sessions]: sessionQueue };
  return {
    config,
    logger,
    database,
    redis,
    taskQueue,
    events,
    subscriber,
    slots,
    tasks,
    sessionQueue,
    sessions,
    messages,
    coordinations,
    approvals,
    roles: new RoleService(database.db),
    tokens,
    notifications,
    receipts: new ReceiptService({ db: database.db, approvals: approvalStore, events, approvalTimeoutMs: config.approvalTimeoutMs }),
    audit: new AuditService(database.db),
    cc: new CcRecordService({ db: database.db, commands }),
    access,
    async readTask(id, caller) {
      const task = await tasks.get(id);
      await access.readTask(caller, task);
      // Only a running task can wait for a decision: reads of the others cost no more than before.
      const pendingApprovals = task.status === 'running' ? await approvals.pendingFor({ kind: 'task', id }, caller) : [];
      return pendingApprovals.length > 0 ? { ...task, pendingApprovals } : task;
    },
    async assertMayReadEvents(owner, caller) {
      if (owner.kind === 'session') await access.readSession(caller, (await sessions.get(owner.id)).id);
      else await access.readTask(caller, await tasks.get(owner.id));
    },
    tokenRevocationsFollowed: revocations.then(() => undefined),
    authenticate: config.auth ? (token) => tokens.authenticate(token) : async () => LOCAL_OPERATOR,
    overview: () => fleetOverview(database.db, { tasks: taskQueue, sessions: sessionQueue }),
    workers: async (query) => listWorkers(database.db, parseInput(workerListQuerySchema, query, 'query').state),
    async queueDepth(name) {
      const queue = queues[name];
      if (!queue) throw new NotFoundError('queue', name);
      const depth = { name, ...(await queueDepth(queue)) };
      // The sessions the workers hold count for autoscaling too: the queue only tells those waiting for one.
      return queue === sessionQueue ? { ...depth, live: await heldSessionCount(database.db) } : depth;
    },
    cancelWaits(reason) {
      shutdown.begin(reason);
      commands.cancelPending(`${reason}; retry on another instance`);
    },
    async close() {
      await stopRecovery();
      (await revocations)();
      await notifications.close();
      await Promise.all([
        taskQueue.close(),
        sessionQueue.close(),
        fleetRecovery.close(),
        commands.close(),
        coordinations.close(),
        stopRetention(),
      ]);
      subscriber.disconnect();
      publisher.disconnect();
      redis.disconnect();
    },
  };
}
