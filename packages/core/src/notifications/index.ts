import { type ChannelSubscriber, type Config, createRedis, type Database, type Logger, type Redis } from '@mission/store';
import { Queue, type Worker } from 'bullmq';
import { type DeliveryJobData, NotificationDeriver } from './deriver.ts';
import { NOTIFICATION_QUEUE, startDeliveryWorker } from './delivery.ts';
import type { ApprovalLinks } from './render.ts';
import { SubscriptionService } from './subscriptions.ts';

export { notificationKindOf } from './kinds.ts';
export { buildNotification, renderRequest, type ApprovalLinks, type Notification } from './render.ts';
export { NotificationDeriver, type DeliveryJobData } from './deriver.ts';
export { NOTIFICATION_QUEUE, startDeliveryWorker } from './delivery.ts';
export { SubscriptionService } from './subscriptions.ts';

export interface Notifications {
  subscriptions: SubscriptionService;
  queue: Queue<DeliveryJobData>;
  deriver: NotificationDeriver;
  /** The delivery worker of this process; undefined when MISSION_NOTIFY_WORKER is off. */
  worker: Worker<DeliveryJobData> | undefined;
  /** Resolves once the deriver listens to the event stream (and has queued again what was left pending). */
  ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * Notifications as the API process runs them: the deriver hears every event and queues deliveries,
 * a delivery worker sends them. Several API processes may run both: deliveries are keyed, so each is
 * sent once.
 */
export function startNotifications(o: {
  config: Config;
  db: Database;
  redisUrl: string;
  /** The process's subscriber with the events feed, and its connection: the deriver hears every event through it. */
  subscriber: ChannelSubscriber;
  subscriberConnection: Redis;
  approvalLinks: (approval: { id: string; expiresAt: string }) => ApprovalLinks;
  logger: Logger;
}): Notifications {
  const logger = o.logger.child({ component: 'notifications' });
  const connection = createRedis(o.redisUrl, 'mission-notify', logger);
  const queue = new Queue<DeliveryJobData>(NOTIFICATION_QUEUE, { connection, prefix: o.config.queuePrefix });
  queue.on('error', (error) => logger.warn({ err: error }, 'notification queue error'));
  const subscriptions = new SubscriptionService({ db: o.db, publisher: connection, queuePrefix: o.config.queuePrefix });
  const deriver = new NotificationDeriver({
    db: o.db,
    subscriber: o.subscriber,
    connection: o.subscriberConnection,
    queue,
    approvalLinks: o.approvalLinks,
    queuePrefix: o.config.queuePrefix,
    attempts: o.config.notifyAttempts,
    retryMs: o.config.notifyRetryMs,
    logger,
  });
  const ready = deriver.start();
  ready.catch((error) => logger.error({ err: error }, 'the notification deriver could not start'));
  const worker = o.config.notifyWorker
    ? startDeliveryWorker({ db: o.db, connection, queuePrefix: o.config.queuePrefix, lockMs: o.config.jobLockMs, logger })
    : undefined;
  return {
    subscriptions,
    queue,
    deriver,
    worker,
    ready,
    async close() {
      await ready.catch(() => {
        // logged when it failed (above): closing only waits for it to settle
      });
      await deriver.stop();
      await worker?.close();
      await queue.close();
      connection.disconnect();
    },
  };
}
