import type { NotificationKind } from '@mission/contracts';
import { type Database, enabledSubscriptionRows, type NotificationSubscriptionRow } from '@mission/store';

/**
 * How long the enabled subscriptions are kept at most: a change whose announcement was lost (Redis failed
 * between its commit and the publish) is read within this.
 */
const MAX_AGE_MS = 60_000;

/**
 * The enabled subscriptions as the deriver reads them for every event: read once and kept, so an event costs no
 * query, and read again after a change is announced (`announceSubscriptionChange`, heard by the deriver on the
 * connection that hears the events, so an event published after the announcement finds the change). Nothing is
 * kept while that subscription is not in place ({@link setOpen}): an announcement could be missed meanwhile.
 */
export class EnabledSubscriptions {
  private kept: { rows: NotificationSubscriptionRow[]; readAt: number } | undefined;
  /** Counts the changes heard: a read that began before one is not kept. */
  private changes = 0;
  private open = false;

  constructor(private readonly db: Database) {}

  /** The enabled subscriptions that want this kind of event (of some slots or roles, or of all). */
  async wanting(kind: NotificationKind): Promise<NotificationSubscriptionRow[]> {
    return (await this.rows()).filter((row) => (row.events as string[]).includes(kind));
  }

  /** A change was announced: the next event reads them again. */
  changed(): void {
    this.changes++;
    this.kept = undefined;
  }

  /** Whether changes are heard now; while not, nothing is kept. */
  setOpen(open: boolean): void {
    this.open = open;
    this.changed();
  }

  private async rows(): Promise<NotificationSubscriptionRow[]> {
    const now = Date.now();
    if (this.open && this.kept && now - this.kept.readAt < MAX_AGE_MS) return this.kept.rows;
    const changes = this.changes;
    const rows = await enabledSubscriptionRows(this.db);
    if (this.open && changes === this.changes) this.kept = { rows, readAt: now };
    return rows;
  }
}
