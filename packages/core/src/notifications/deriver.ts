import { type MissionEvent } from '@mission/contracts';
import {
  type ChannelSubscriber,
  type Database,
  insertPendingDelivery,
  type Logger,
  ownerSlotAndRole,
  pendingDeliveryIds,
  type Redis,
  subscriptionChangeChannel,
} from '@mission/store';
import type { Queue } from 'bullmq';
import { notificationKindOf } from './kinds.ts';
import { type ApprovalLinks, buildNotification } from './render.ts';
import { EnabledSubscriptions } from './enabledSubscriptions.ts';

export interface DeliveryJobData {
  deliveryId: string;
}

export interface DeriverOptions {
  db: Database;
  /** The process's subscriber with the events feed (`feed` option): every event published on Redis comes through it. */
  subscriber: ChannelSubscriber;
  /** The subscriber's connection: nothing is kept while it is down (see followSubscriptionChanges). */
  connection: Redis;
  queue: Queue<DeliveryJobData>;
  /** Signed links of an approval (the same mechanism as the approvals API's `url`). */
  approvalLinks: (approval: { id: string; expiresAt: string }) => ApprovalLinks;
  queuePrefix: string;
  /** BullMQ attempts and the first retry's delay (exponential after it). */
  attempts: number;
  retryMs: number;
  logger: Logger;
}

/**
 * Turns the event stream into deliveries: every event published on Redis (every task's and session's)
 * whose kind a subscription wants becomes a row in the delivery log and a job on the `notifications`
 * queue, both keyed `<subscription>.<owner>.<seq>` — so an event heard twice (two API replicas, a
 * restart re-queueing what was pending) is still delivered once. Events are handled one at a time, in
 * the order heard, so the rows of one subject are written in `seq` order.
 */
export class NotificationDeriver {
  private chain: Promise<void> = Promise.resolve();
  private readonly changes: string;
  private readonly subscriptions: EnabledSubscriptions;
  /** What start() began, stopped in reverse by stop(). */
  private readonly stops: (() => void)[] = [];

  constructor(private readonly deps: DeriverOptions) {
    this.changes = subscriptionChangeChannel(deps.queuePrefix);
    this.subscriptions = new EnabledSubscriptions(deps.db);
  }

  async start(): Promise<void> {
    await this.followSubscriptionChanges();
    this.stops.push(
      await this.deps.subscriber.follow((_channel, _message, json) => {
        // Shared with the request waiting on this event, if any: read only (handle and what it calls change nothing).
        const event = json() as MissionEvent;
        this.chain = this.chain
          .then(() => this.handle(event))
          .catch((error) =>
            this.deps.logger.error({ err: error, owner: event.ownerId, seq: event.seq }, 'could not derive notifications from an event'),
          );
      }),
    );
    await this.requeuePending();
  }

  /**
   * Keeps the enabled subscriptions until a change is announced, heard on the connection the events come on (so in
   * the order published); nothing is kept while that connection is down or not subscribed again after a reconnect.
   */
  private async followSubscriptionChanges(): Promise<void> {
    const { subscriber, connection, logger } = this.deps;
    const closed = () => this.subscriptions.setOpen(false);
    // ioredis subscribes again on its own after a reconnect; keeping resumes once Redis confirms it.
    const ready = () => {
      connection.subscribe(this.changes).then(
        () => this.subscriptions.setOpen(true),
        (error: unknown) =>
          logger.warn({ err: error }, 'could not subscribe to subscription changes again: they are read for every event until it can'),
      );
    };
    connection.on('close', closed);
    connection.on('ready', ready);
    const unsubscribe = await subscriber.subscribe(this.changes, () => this.subscriptions.changed());
    this.subscriptions.setOpen(true);
    this.stops.push(() => {
      connection.off('close', closed);
      connection.off('ready', ready);
      this.subscriptions.setOpen(false);
      unsubscribe();
    });
  }

  /** Waits for the events heard so far to be handled. */
  async idle(): Promise<void> {
    await this.chain;
  }

  /** Hears no more events (the feed's pattern stays: the process's subscriber shares it), then waits for those heard. */
  async stop(): Promise<void> {
    for (const stop of this.stops.splice(0).reverse()) stop();
    await this.chain;
  }

  async handle(event: MissionEvent): Promise<void> {
    const kind = notificationKindOf(event);
    if (!kind) return;
    // Most events are wanted by nobody: that costs no query (the subscriptions are kept), and the owner is looked up only when needed.
    const wanting = await this.subscriptions.wanting(kind);
    if (wanting.length === 0) return;
    const owner = await this.ownerOf(event);
    if (!owner) return;
    const subscriptions = wanting.filter(
      (s) => (s.slots === null || s.slots.includes(owner.slot)) && (s.roles === null || s.roles.includes(owner.role)),
    );
    const approval =
      event.type === 'approval_requested'
        ? this.deps.approvalLinks({ id: event.payload.approvalId, expiresAt: event.payload.expiresAt })
        : undefined;
    for (const subscription of subscriptions) {
      const id = `${subscription.id}.${event.ownerId}.${event.seq}`;
      const notification = buildNotification({ id, kind, event, slot: owner.slot, role: owner.role, approval });
      await insertPendingDelivery(this.deps.db, {
        id,
        subscriptionId: subscription.id,
        kind,
        subject: event.ownerId,
        seq: event.seq,
        notification: { ...notification },
      });
      await this.enqueue(id);
    }
  }

  /** Deliveries still pending (their job lost with a crash between the row and the job): queued again, once. */
  private async requeuePending(): Promise<void> {
    for (const id of await pendingDeliveryIds(this.deps.db)) await this.enqueue(id);
  }

  private async enqueue(deliveryId: string): Promise<void> {
    await this.deps.queue.add(
      'deliver',
      { deliveryId },
      {
        jobId: deliveryId,
        attempts: this.deps.attempts,
        backoff: { type: 'exponential', delay: this.deps.retryMs },
        removeOnComplete: { count: 1_000 },
        removeOnFail: { count: 5_000 },
      },
    );
  }

  private async ownerOf(event: MissionEvent): Promise<{ slot: string; role: string } | undefined> {
    const row = await ownerSlotAndRole(this.deps.db, { kind: event.ownerKind, id: event.ownerId });
    return row ? { slot: row.slot, role: row.role ?? 'default' } : undefined;
  }
}
