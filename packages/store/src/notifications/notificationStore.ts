import { and, asc, desc, eq, lt, sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { Database } from '../db/database.ts';
import { notificationDeliveries, notificationSubscriptions, type NotificationSubscriptionRow } from '../db/schema.ts';

export type NotificationDeliveryRow = typeof notificationDeliveries.$inferSelect;
/** What a subscription is written with, apart from its id, name and secret. */
export type SubscriptionValues = Pick<
  typeof notificationSubscriptions.$inferInsert,
  'url' | 'format' | 'events' | 'slots' | 'roles' | 'enabled' | 'source'
>;

/** Every subscription, by name. */
export async function listSubscriptionRows(db: Database): Promise<NotificationSubscriptionRow[]> {
  return db.select().from(notificationSubscriptions).orderBy(asc(notificationSubscriptions.name));
}

export async function subscriptionRow(db: Database, id: string): Promise<NotificationSubscriptionRow | undefined> {
  const [row] = await db.select().from(notificationSubscriptions).where(eq(notificationSubscriptions.id, id));
  return row;
}

/** The id of the subscription named `name`, if there is one. */
export async function subscriptionIdByName(db: Database, name: string): Promise<string | undefined> {
  const [row] = await db
    .select({ id: notificationSubscriptions.id })
    .from(notificationSubscriptions)
    .where(eq(notificationSubscriptions.name, name));
  return row?.id;
}

export async function deleteSubscription(db: Database, id: string): Promise<NotificationSubscriptionRow | undefined> {
  const [row] = await db.delete(notificationSubscriptions).where(eq(notificationSubscriptions.id, id)).returning();
  return row;
}

/**
 * Creates the subscription named `name` (with `id` and `secret`) or replaces its values; an existing one's
 * secret is replaced only when `replaceSecret`.
 */
export async function upsertSubscription(
  db: Database,
  subscription: { id: string; name: string; secret: string; replaceSecret: boolean },
  values: SubscriptionValues,
): Promise<NotificationSubscriptionRow> {
  const { id, name, secret, replaceSecret } = subscription;
  const [row] = await db
    .insert(notificationSubscriptions)
    .values({ id, name, secret, ...values })
    .onConflictDoUpdate({
      target: notificationSubscriptions.name,
      set: { ...values, ...(replaceSecret ? { secret } : {}), updatedAt: sql`now()` },
    })
    .returning();
  return row!;
}

/** Every enabled subscription (a few rows: the deriver keeps them, see `EnabledSubscriptions` in core). */
export async function enabledSubscriptionRows(db: Database): Promise<NotificationSubscriptionRow[]> {
  return db.select().from(notificationSubscriptions).where(eq(notificationSubscriptions.enabled, true));
}

/** The Redis channel a change of the subscriptions is announced on, so every process reads them again. */
export const subscriptionChangeChannel = (queuePrefix: string) => `${queuePrefix}:notifications:subscriptions-changed`;

/** Announces a change of the subscriptions (after it is stored: a process that reads them again must find it). */
export async function announceSubscriptionChange(publisher: Redis, queuePrefix: string): Promise<void> {
  await publisher.publish(subscriptionChangeChannel(queuePrefix), '');
}

/** A subscription's deliveries, newest first, optionally of one status. */
export async function deliveryRows(
  db: Database,
  subscriptionId: string,
  query: { status?: string; limit: number },
): Promise<NotificationDeliveryRow[]> {
  return db
    .select()
    .from(notificationDeliveries)
    .where(
      and(
        eq(notificationDeliveries.subscriptionId, subscriptionId),
        query.status ? eq(notificationDeliveries.status, query.status) : undefined,
      ),
    )
    .orderBy(desc(notificationDeliveries.createdAt), desc(notificationDeliveries.seq))
    .limit(query.limit);
}

/** Stores a pending delivery; one with the same id already stored is left as it is. */
export async function insertPendingDelivery(
  db: Database,
  delivery: { id: string; subscriptionId: string; kind: string; subject: string; seq: number; notification: Record<string, unknown> },
): Promise<void> {
  await db
    .insert(notificationDeliveries)
    .values({ ...delivery, status: 'pending' })
    .onConflictDoNothing();
}

/** The ids of the deliveries still pending. */
export async function pendingDeliveryIds(db: Database): Promise<string[]> {
  return (
    await db.select({ id: notificationDeliveries.id }).from(notificationDeliveries).where(eq(notificationDeliveries.status, 'pending'))
  ).map((row) => row.id);
}

/** A delivery with its subscription (null when the subscription was deleted). */
export async function deliveryWithSubscription(
  db: Database,
  id: string,
): Promise<{ delivery: NotificationDeliveryRow; subscription: NotificationSubscriptionRow | null } | undefined> {
  const [row] = await db
    .select({ delivery: notificationDeliveries, subscription: notificationSubscriptions })
    .from(notificationDeliveries)
    .leftJoin(notificationSubscriptions, eq(notificationSubscriptions.id, notificationDeliveries.subscriptionId))
    .where(eq(notificationDeliveries.id, id));
  return row;
}

/** Whether a delivery of the same subscription and subject with a lower `seq` is still pending. */
export async function hasEarlierPendingDelivery(
  db: Database,
  delivery: Pick<NotificationDeliveryRow, 'subscriptionId' | 'subject' | 'seq'>,
): Promise<boolean> {
  const [earlier] = await db
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
  return earlier !== undefined;
}

/** Records an attempt of a pending delivery and its outcome (a settled one is left as it is). */
export async function recordDeliveryAttempt(
  db: Database,
  id: string,
  outcome: { status: 'pending' | 'delivered' | 'failed'; statusCode: number | null; error: string | null },
): Promise<void> {
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
