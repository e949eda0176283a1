import { randomBytes } from 'node:crypto';
import {
  BadRequestError,
  type Delivery,
  deliveryListQuerySchema,
  newId,
  notificationsFileSchema,
  NotFoundError,
  type NotificationKind,
  parseInput,
  type Subscription,
  type SubscriptionConfig,
  subscriptionConfigSchema,
  subscriptionCreateSchema,
} from '@mission/contracts';
import {
  announceSubscriptionChange,
  type Database,
  deleteSubscription,
  deliveryRows,
  listSubscriptionRows,
  type NotificationSubscriptionRow,
  subscriptionIdByName,
  subscriptionRow,
  type Redis,
  upsertSubscription,
} from '@mission/store';
import { recordAudit } from '../audit.ts';
import { readYamlFile } from '../yamlFile.ts';

/**
 * Subscriptions to notifications (`/v1/notifications`, `notifications.yaml`) and their delivery logs. Each change is
 * announced once stored, so every process's deriver reads the subscriptions again (`EnabledSubscriptions`).
 */
export class SubscriptionService {
  private readonly db: Database;

  constructor(private readonly deps: { db: Database; publisher: Redis; queuePrefix: string }) {
    this.db = deps.db;
  }

  async list(): Promise<Subscription[]> {
    return (await listSubscriptionRows(this.db)).map(toSubscription);
  }

  async get(id: string): Promise<Subscription> {
    return toSubscription(await this.row(id));
  }

  /** Creates one; the answer has its signing secret (made up unless given), which is not shown again. */
  async create(body: unknown, by: string): Promise<Subscription & { secret: string }> {
    const input = parseInput(subscriptionCreateSchema, body, 'subscription');
    const existing = await subscriptionIdByName(this.db, input.name);
    if (existing)
      throw new BadRequestError(
        `invalid subscription: the name '${input.name}' is taken (${existing}); PUT /v1/notifications/${existing} changes it`,
      );
    const { name, ...config } = input;
    return this.upsert(name, config, 'api', by);
  }

  /** Replaces one's config; its secret stays unless a new one is given. */
  async update(id: string, body: unknown, by: string): Promise<Subscription> {
    const current = await this.row(id);
    const config = parseInput(subscriptionConfigSchema, body, 'subscription');
    const { secret: _secret, ...shown } = await this.upsert(current.name, config, 'api', by);
    return shown;
  }

  async delete(id: string, by: string): Promise<Subscription> {
    const row = await deleteSubscription(this.db, id);
    if (!row) throw new NotFoundError('notification subscription', id);
    await this.announceChange();
    await recordAudit(this.db, { kind: 'notification_deleted', actor: by, target: id, details: { name: row.name } });
    return toSubscription(row);
  }

  /** Loads `notifications.yaml`; subscriptions not in it keep whatever they are. `undefined` without the file. */
  async syncFromFile(file: string): Promise<string[] | undefined> {
    const document = readYamlFile(file, notificationsFileSchema);
    if (!document) return undefined;
    for (const [name, config] of Object.entries(document.subscriptions)) await this.upsert(name, config, 'file', `file:${file}`);
    return Object.keys(document.subscriptions);
  }

  /** A subscription's delivery log, newest first. */
  async deliveries(id: string, query: unknown): Promise<Delivery[]> {
    await this.row(id);
    const q = parseInput(deliveryListQuerySchema, query ?? {}, 'query');
    const rows = await deliveryRows(this.db, id, q);
    return rows.map((row) => ({
      id: row.id,
      subscriptionId: row.subscriptionId,
      kind: row.kind as NotificationKind,
      subject: row.subject,
      seq: row.seq,
      status: row.status as Delivery['status'],
      attempts: row.attempts,
      lastStatusCode: row.lastStatusCode,
      lastError: row.lastError,
      createdAt: row.createdAt.toISOString(),
      lastAttemptAt: row.lastAttemptAt?.toISOString() ?? null,
      deliveredAt: row.deliveredAt?.toISOString() ?? null,
      notification: row.notification,
    }));
  }

  /** Rejects when Redis cannot take it: the change is stored, and the derivers read it within their keeping time. */
  private async announceChange(): Promise<void> {
    await announceSubscriptionChange(this.deps.publisher, this.deps.queuePrefix);
  }

  private async row(id: string): Promise<NotificationSubscriptionRow> {
    const row = await subscriptionRow(this.db, id);
    if (!row) throw new NotFoundError('notification subscription', id);
    return row;
  }

  private async upsert(
    name: string,
    config: SubscriptionConfig,
    source: 'file' | 'api',
    by: string,
  ): Promise<Subscription & { secret: string }> {
    const values = {
      url: config.url,
      format: config.format,
      events: config.events,
      slots: config.slots ?? null,
      roles: config.roles ?? null,
      enabled: config.enabled,
      source,
    };
    const secret = config.secret ?? randomBytes(24).toString('base64url');
    const row = await upsertSubscription(this.db, { id: newId('ntf'), name, secret, replaceSecret: Boolean(config.secret) }, values);
    await this.announceChange();
    // The URL is left out of the audit trail: a Slack webhook's URL is its credential.
    const { url: _url, ...recorded } = values;
    await recordAudit(this.db, { kind: 'notification_changed', actor: by, target: row.id, details: { name, ...recorded } });
    return { ...toSubscription(row), secret: row.secret };
  }
}

function toSubscription(row: NotificationSubscriptionRow): Subscription {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    format: row.format as Subscription['format'],
    events: row.events as NotificationKind[],
    slots: row.slots,
    roles: row.roles,
    enabled: row.enabled,
    source: row.source as Subscription['source'],
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
