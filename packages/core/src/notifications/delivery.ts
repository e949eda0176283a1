import { DELIVERY_HEADER, SIGNATURE_HEADER, signNotification } from '@mission/contracts';
import {
  type Database,
  deliveryWithSubscription,
  hasEarlierPendingDelivery,
  type Logger,
  recordDeliveryAttempt,
  type Redis,
} from '@mission/store';
import { DelayedError, type Job, Worker } from 'bullmq';
import type { DeliveryJobData } from './deriver.ts';
import { type Notification, type NotificationFormat, renderRequest } from './render.ts';

export const NOTIFICATION_QUEUE = 'notifications';
/** A delivery whose subject has an earlier one still pending looks again after this long. */
const ORDER_WAIT_MS = 250;
const REQUEST_TIMEOUT_MS = 10_000;

export interface DeliveryWorkerOptions {
  db: Database;
  connection: Redis;
  queuePrefix: string;
  concurrency?: number;
  /** BullMQ's job lock: a delivery whose process died comes back to another after this long. */
  lockMs: number;
  /** Recorded on the jobs it takes (`processedBy`). */
  name?: string;
  logger: Logger;
}

/**
 * Sends deliveries: signs the body, POSTs it, records the attempt in the delivery log. A non-2xx answer
 * or a network error is retried with exponential backoff (BullMQ attempts); a delivery already delivered
 * is not sent again (a job that comes back after its process died); deliveries of one subject go out in
 * `seq` order (a later one waits while an earlier one is pending).
 */
export function startDeliveryWorker(o: DeliveryWorkerOptions): Worker<DeliveryJobData> {
  const worker = new Worker<DeliveryJobData>(NOTIFICATION_QUEUE, (job, token) => deliver(o, job, token), {
    connection: o.connection,
    prefix: o.queuePrefix,
    concurrency: o.concurrency ?? 4,
    lockDuration: o.lockMs,
    stalledInterval: o.lockMs,
    ...(o.name ? { name: o.name } : {}),
  });
  worker.on('failed', (job, error) =>
    o.logger.warn({ err: error, delivery: job?.data.deliveryId, attempts: job?.attemptsMade }, 'notification delivery failed'),
  );
  worker.on('error', (error) => o.logger.error({ err: error }, 'notification worker error'));
  return worker;
}

async function deliver(o: DeliveryWorkerOptions, job: Job<DeliveryJobData>, token: string | undefined): Promise<string> {
  const row = await deliveryWithSubscription(o.db, job.data.deliveryId);
  if (!row || row.delivery.status !== 'pending') return 'already settled';
  const { delivery, subscription } = row;
  if (!subscription) {
    await recordDeliveryAttempt(o.db, delivery.id, { status: 'failed', statusCode: null, error: 'the subscription was deleted' });
    return 'subscription deleted';
  }
  if (await hasEarlierPendingDelivery(o.db, delivery)) {
    await job.moveToDelayed(Date.now() + ORDER_WAIT_MS, token);
    throw new DelayedError();
  }

  const request = renderRequest(
    subscription.format as NotificationFormat,
    subscription.url,
    delivery.notification as unknown as Notification,
  );
  let statusCode: number | null = null;
  let error: string | null = null;
  try {
    const response = await fetch(request.url, {
      method: 'POST',
      body: request.body,
      headers: {
        'content-type': request.contentType,
        [DELIVERY_HEADER]: delivery.id,
        'mission-event': delivery.kind,
        [SIGNATURE_HEADER]: signNotification(subscription.secret, request.body, Math.floor(Date.now() / 1000)),
      },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    statusCode = response.status;
    await response.body?.cancel();
    if (!response.ok) error = `${subscription.url} answered ${response.status}`;
  } catch (caught) {
    error = `POST ${subscription.url}: ${(caught as Error).message}`;
  }
  const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  await recordDeliveryAttempt(o.db, delivery.id, {
    status: error === null ? 'delivered' : lastAttempt ? 'failed' : 'pending',
    statusCode,
    error,
  });
  if (error !== null) throw new Error(error);
  return 'delivered';
}
