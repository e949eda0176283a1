import { DELIVERY_HEADER, SIGNATURE_HEADER, signNotification } from '@mission/contracts';
import { type Database, type Logger, type Redis, tables } from '@mission/store';
import { DelayedError, type Job, Worker } from 'bullmq';
import { and, eq, lt, sql } from 'drizzle-orm';
import type { DeliveryJobData } from './deriver.ts';
import { type Notification, type NotificationFormat, renderRequest } from './render.ts';

const { notificationDeliveries, notificationSubscriptions } = tables;

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
  worker.on('failed', (job, error) => o.logger.warn({ err: error, delivery: job?.data.deliveryId, attempts: job?.attemptsMade }, 'notification delivery failed'));
  worker.on('error', (error) => o.logger.error({ err: error }, 'notification worker error'));
  return worker;
}

async function deliver(o: DeliveryWorkerOptions, job: Job<DeliveryJobData>, token: string | undefined): Promise<string> {
  const [row] = await o.db
    .select({ delivery: notificationDeliveries, subscription: notificationSubscriptions })
    .from(notificationDeliveries)
    .leftJoin(notificationSubscriptions, eq(notificationSubscriptions.id, notificationDeliveries.subscriptionId))
    .where(eq(notificationDeliveries.id, job.data.deliveryId));
  if (!row || row.delivery.status !== 'pending') return 'already settled';
  const { delivery, subscription } = row;
  if (!subscription) {
    await settle(o.db, delivery.id, { status: 'failed', statusCode: null, error: 'the subscription was deleted' });
    return 'subscription deleted';
  }
  const [earlier] = await o.db
    .select({ id: notificationDeliveries.id })
    .from(notificationDeliveries)
    .where(
      and(
        eq(notificationDeliveries.subscriptionId, delivery.subscriptionId),
        eq(notificationDeliveries.subject, delivery.subject),
        lt(notificationDeliveries.seq, delivery.seq),
        eq(notificationDeliveries.status, 'pending'),
      ),
    )
    .limit(1);
  if (earlier) {
    await job.moveToDelayed(Date.now() + ORDER_WAIT_MS, token);
    throw new DelayedError();
  }

  const request = renderRequest(subscription.format as NotificationFormat, subscription.url, delivery.notification as unknown as Notification);
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
  await settle(o.db, delivery.id, { status: error === null ? 'delivered' : lastAttempt ? 'failed' : 'pending', statusCode, error });
  if (error !== null) throw new Error(error);
  return 'delivered';
}

async function settle(db: Database, id: string, outcome: { status: 'pending' | 'delivered' | 'failed'; statusCode: number | null; error: string | null }): Promise<void> {
  await db
    .update(notificationDeliveries)
    .set({
      status: outcome.status,
      attempts: sql`${notificationDeliveries.attempts} + 1`,
      lastStatusCode: outcome.statusCode,
      lastError: outcome.error,
      lastAttemptAt: sql`now()`,
      ...(outcome.status === 'delivered' ? { deliveredAt: sql`now()` } : {}),
    })
    .where(and(eq(notificationDeliveries.id, id), eq(notificationDeliveries.status, 'pending')));
}
