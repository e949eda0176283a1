import { and, asc, desc, eq, gt, is, lte, Placeholder, SQL, type Subquery, sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import {
  builtOnce,
  type Database,
  hot,
  PREPARED_MAX_ROWS,
  PreparedShapes,
  sqlStateOf,
  type Transaction,
  UNIQUE_VIOLATION,
} from './db/database.ts';
import { events, sessions, tasks } from './db/schema.ts';
import {
  endedSessionStates,
  MAX_EVENT_SEQ,
  type EventOwner,
  type MissionEvent,
  terminalTaskStatuses,
  type MissionEventDraft,
  type OwnerKind,
} from '@mission/contracts';
import type { Logger } from './logger.ts';
import { channels } from './queues.ts';
import { createRedis } from './redis.ts';
import { announceRevokedTokens, type RevokedTokens } from './tokenRevocations.ts';

const MAX_APPEND_ATTEMPTS = 5;
const REPLAY_PAGE = 500;

/** Events of one owner, in order, to store together. */
export interface OwnedDrafts {
  owner: EventOwner;
  drafts: readonly MissionEventDraft[];
}

/** {@link OwnedDrafts} whose owner's id is a placeholder, for a statement built once (`.prepare()`); its drafts may be too. */
export interface PlaceholderOwnedDrafts {
  owner: { kind: OwnerKind; id: Placeholder };
  drafts: readonly (MissionEventDraft | PlaceholderDraft)[];
}

/** An event's type and payload (its JSON text) as placeholders: {@link draftPlaceholders}. */
export interface PlaceholderDraft {
  type: Placeholder;
  payload: Placeholder;
}

/** Placeholders of `count` events (`type0`, `payload0`, …), for a statement built once; {@link draftValues} answers them. */
export function draftPlaceholders(count: number): PlaceholderDraft[] {
  return Array.from({ length: count }, (_, i) => ({ type: sql.placeholder(`type${i}`), payload: sql.placeholder(`payload${i}`) }));
}

/** The values of {@link draftPlaceholders} for these drafts. */
export function draftValues(drafts: readonly MissionEventDraft[]): Record<string, string> {
  return Object.fromEntries(
    drafts.flatMap((draft, i) => [
      [`type${i}`, draft.type],
      [`payload${i}`, JSON.stringify(draft.payload)],
    ]),
  );
}

/** Records events of an owner to store with the transaction of {@link EventLog.transaction}, in the order recorded. */
export type EventRecorder = (owner: EventOwner, ...drafts: MissionEventDraft[]) => void;

/**
 * The append-only event log: every event is stored in Postgres with the next sequence number of its
 * owner, then published on the owner's channel. Stored first, so a subscriber that replays from the
 * database after subscribing never misses one.
 */
export class EventLog {
  private readonly channelOf: (kind: OwnerKind, id: string) => string;
  /** Fenced appends, by fence, owner kind and number of events. */
  private readonly fencedInserts = new PreparedShapes<(typeof events.$inferSelect)[]>('events');

  constructor(
    private readonly db: Database,
    private readonly publisher: Redis,
    private readonly queuePrefix: string,
  ) {
    this.channelOf = channels(queuePrefix).events;
  }

  /**
   * An event log publishing on a Redis connection of its own, returned with it (to disconnect at shutdown): a
   * pipeline copies every script defined on its connection, and BullMQ defines dozens on the one its queues use.
   * `commandTimeoutMs` and `autoPipelining` as in {@link createRedis}.
   */
  static withOwnPublisher(
    db: Database,
    options: {
      redisUrl: string;
      connectionName: string;
      queuePrefix: string;
      logger: Logger;
      commandTimeoutMs?: number;
      autoPipelining?: boolean;
    },
  ): { events: EventLog; publisher: Redis } {
    const { redisUrl, connectionName, queuePrefix, logger, commandTimeoutMs, autoPipelining } = options;
    const publisher = createRedis(redisUrl, connectionName, logger, { commandTimeoutMs, autoPipelining });
    return { events: new EventLog(db, publisher, queuePrefix), publisher };
  }

  /** Tells every API process that these tokens (or the child tokens of these owners) are revoked: tokenRevocations.ts. */
  async announceRevokedTokens(revoked: RevokedTokens): Promise<void> {
    await announceRevokedTokens(this.publisher, this.queuePrefix, revoked);
  }

  channel(owner: EventOwner): string {
    return this.channelOf(owner.kind, owner.id);
  }

  /** As {@link appendMany}, for one event: the event stored, or undefined when its owner has ended. */
  async append(owner: EventOwner, draft: MissionEventDraft): Promise<MissionEvent | undefined> {
    const [event] = await this.appendMany(owner, [draft]);
    return event;
  }

  /**
   * Stores events of one owner in one statement, with consecutive seqs in the order given, then publishes
   * them in one round trip — unless the owner (its task or session row) has ended: its terminal `state`
   * event is its last, so then nothing is stored and it resolves []. Checked with the owner's row locked
   * `for share` in the insert's transaction ({@link ownerNotEnded}). An owner's end is a transition of its
   * store ({@link transaction}), not an append.
   */
  async appendMany(owner: EventOwner, drafts: readonly MissionEventDraft[]): Promise<MissionEvent[]> {
    return (await this.appendFenced(owner, drafts, ownerNotEnded(owner))) ?? [];
  }

  /** As {@link appendMany}, but stores (and publishes) nothing and resolves null when the fence does not hold. */
  async appendFenced(owner: EventOwner, drafts: readonly MissionEventDraft[], fence?: EventFence): Promise<MissionEvent[] | null> {
    if (drafts.length === 0) return [];
    const stored = await retryingSeqConflicts(() =>
      fence === undefined || is(fence, SQL) ? this.insertIn(this.db, [{ owner, drafts }], fence) : this.insertFenced(owner, drafts, fence),
    );
    // Nothing stored while drafts were given: the fence did not hold.
    if (stored.length === 0) return null;
    await this.publish(stored);
    return stored;
  }

  /**
   * Stores events in one statement on `db` — a transaction of the caller's, so that a state change and
   * the event that tells it commit together — each owner's with consecutive seqs in the order given;
   * with a `fence`, only when it holds (checked, and its row locked, by that same statement).
   * Nothing is published: call {@link publish} once the transaction has committed. A concurrent writer
   * taking the same seq fails it with a unique violation ({@link retryingSeqConflicts} runs it again).
   */
  async insertIn(db: Database | Transaction, batches: readonly OwnedDrafts[], fence?: SQL): Promise<MissionEvent[]> {
    const count = batches.reduce((sum, { drafts }) => sum + drafts.length, 0);
    if (count === 0) return [];
    const insert = insertEvents(db, batches, fence);
    // The few-row batches of every task and session are prepared; a long burst's statement is not kept.
    const inserted = count <= PREPARED_MAX_ROWS ? await hot(insert) : await insert;
    return inOwnerOrder(inserted.map(toEvent));
  }

  /**
   * {@link insertIn} of one owner's events under a fence of placeholders: a statement built once for each fence, owner
   * kind and number of events, and prepared, instead of built by drizzle on every call; a long burst's is not kept.
   */
  private async insertFenced(owner: EventOwner, drafts: readonly MissionEventDraft[], fence: PreparedFence): Promise<MissionEvent[]> {
    const values = { ownerId: owner.id, ...draftValues(drafts), ...fence.values };
    const build = () =>
      insertEvents(
        this.db,
        [{ owner: { kind: owner.kind, id: sql.placeholder('ownerId') }, drafts: draftPlaceholders(drafts.length) }],
        fence.condition,
      );
    const inserted = await this.fencedInserts.execute(`${fence.name}:${owner.kind}:${drafts.length}`, drafts.length, build, values);
    return inOwnerOrder(inserted.map(toEvent));
  }

  /**
   * The insert of events as a CTE (`stored`) of one statement whose row change (`changed`, another CTE of it: an
   * update or insert `returning`) decides them: stored only when it changed a row, so the change and the events that
   * tell it commit together in one round trip, with no transaction around them. Select {@link storedEvents} of it in
   * the statement, and {@link publish} them once it has returned.
   */
  insertAfter(changed: Subquery, batch: OwnedDrafts | PlaceholderOwnedDrafts) {
    return this.db.$with('stored').as(insertEvents(this.db, [batch], sql`exists (select 1 from ${changed})`));
  }

  /**
   * Runs `write` in one transaction, storing in it the events it `record`s: a state change and the events
   * that tell it commit together or not at all. They are published once it has committed (stored, then
   * published). A seq taken by a concurrent writer runs the whole transaction again, so `write` must do
   * nothing outside it.
   */
  async transaction<T>(write: (tx: Transaction, record: EventRecorder) => Promise<T>): Promise<T> {
    const { result, stored } = await retryingSeqConflicts(() =>
      this.db.transaction(async (tx) => {
        const byOwner = new Map<string, { owner: EventOwner; drafts: MissionEventDraft[] }>();
        const result = await write(tx, (owner, ...drafts) => {
          const batch = byOwner.get(owner.id) ?? byOwner.set(owner.id, { owner, drafts: [] }).get(owner.id)!;
          batch.drafts.push(...drafts);
        });
        return { result, stored: await this.insertIn(tx, [...byOwner.values()]) };
      }),
    );
    await this.publish(stored);
    return result;
  }

  /** Publishes stored events on their owners' channels in one round trip, each owner's in seq order. */
  async publish(stored: readonly MissionEvent[]): Promise<void> {
    if (stored.length === 0) return;
    const messages = stored.map((event) => [this.channelOf(event.ownerKind, event.ownerId), JSON.stringify(event)] as const);
    // Most writes store one event: a command of its own costs less than a pipeline of one.
    if (messages.length === 1) {
      await this.publisher.publish(...messages[0]!);
      return;
    }
    const pipeline = this.publisher.pipeline();
    for (const [channel, message] of messages) pipeline.publish(channel, message);
    for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
  }

  /**
   * An ordered writer for one owner's events that does not make its producer wait for each one: the
   * events added in one turn of the event loop, or while a write is in flight, go together in the next
   * `appendMany` (one insert, one round trip to Redis), so a burst of output costs a few writes, not one per line.
   */
  appender(owner: EventOwner, fence?: EventFence): EventAppender {
    return new EventAppender((drafts) => this.appendFenced(owner, drafts, fence));
  }

  /** Events of an owner with `afterSeq < seq <= untilSeq`, in order. */
  async list(ownerId: string, afterSeq = 0, options: { untilSeq?: number; limit?: number } = {}): Promise<MissionEvent[]> {
    const rows = await eventsAfter(this.db).execute({
      ownerId,
      afterSeq,
      untilSeq: options.untilSeq ?? MAX_EVENT_SEQ,
      limit: options.limit ?? REPLAY_PAGE,
    });
    return rows.map(toEvent);
  }

  /** An owner's newest stored event of `type`, if it has one (read from its newest back). */
  async latestOf<T extends MissionEvent['type']>(ownerId: string, type: T): Promise<Extract<MissionEvent, { type: T }> | undefined> {
    const [row] = await this.db
      .select()
      .from(events)
      .where(and(eq(events.ownerId, ownerId), eq(events.type, type)))
      .orderBy(desc(events.seq))
      .limit(1);
    return row ? (toEvent(row) as Extract<MissionEvent, { type: T }>) : undefined;
  }

  /** The seq after which an owner's last `count` stored events come (0 when it has no more than that). */
  async seqBeforeLast(ownerId: string, count: number): Promise<number> {
    const [row] = await seqFromEnd(this.db).execute({ ownerId, skipped: count });
    return row?.seq ?? 0;
  }

  /**
   * Every stored event of an owner after `afterSeq`, in order, read a page at a time; `firstPage`: the first page
   * read already (`list(ownerId, afterSeq)`).
   */
  async *replay(ownerId: string, afterSeq = 0, firstPage?: Promise<MissionEvent[]>): AsyncGenerator<MissionEvent> {
    for (let page = await (firstPage ?? this.list(ownerId, afterSeq)); ; ) {
      yield* page;
      if (page.length < REPLAY_PAGE) return;
      page = await this.list(ownerId, page.at(-1)!.seq);
    }
  }
}

/**
 * {@link EventLog.list}'s query, built once and prepared: a stream's replay reads it before its first event, and an
 * unprepared statement with parameters costs a round trip more.
 */
const eventsAfter = builtOnce((db) =>
  db
    .select()
    .from(events)
    .where(
      and(
        eq(events.ownerId, sql.placeholder('ownerId')),
        gt(events.seq, sql.placeholder('afterSeq')),
        lte(events.seq, sql.placeholder('untilSeq')),
      ),
    )
    .orderBy(asc(events.seq))
    .limit(sql.placeholder('limit'))
    .prepare('events_after'),
);

/** {@link EventLog.seqBeforeLast}'s query: an owner's seqs from the newest, `skipped` of them passed over. */
const seqFromEnd = builtOnce((db) =>
  db
    .select({ seq: events.seq })
    .from(events)
    .where(eq(events.ownerId, sql.placeholder('ownerId')))
    .orderBy(desc(events.seq))
    .limit(1)
    .offset(sql.placeholder('skipped'))
    .prepare('events_seq_from_end'),
);

/**
 * Runs `write` again when it failed because two writers took the same next seq of an owner (the loser
 * takes the one after), up to a few times. `write` must be safe to repeat: one statement, or a whole
 * transaction (rolled back by the failure).
 */
export async function retryingSeqConflicts<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (sqlStateOf(error) !== UNIQUE_VIOLATION || attempt >= MAX_APPEND_ATTEMPTS) throw error;
    }
  }
}

/**
 * A fence on an owner's events: a condition on whether its writer may still write them (the session is still
 * this worker's, the task still runs under this claim), checked by the insert itself. It may lock the owner's
 * row (`exists (… for share)`), so what ends the owner waits for the insert and its own event comes after.
 * Hot writers give a {@link PreparedFence}.
 */
export type EventFence = SQL | PreparedFence;

/**
 * A fence's condition built once with placeholders, and their values for one writer: the appends it fences are
 * built once per number of events and prepared. One `name`, one condition; its placeholders may use `ownerId`
 * (the owner's id) and must not be named `typeN` or `payloadN`.
 */
export interface PreparedFence {
  name: string;
  condition: SQL;
  values: Record<string, unknown>;
}

/**
 * The fence of every append without one of its own: the owner's row, if it has one, has not ended (a task
 * not terminal, a session live). Locked `for share`, so an end committing meanwhile either waits for the
 * insert (its `state` event comes after) or is seen here (a row read for share is its latest version).
 */
function ownerNotEnded(owner: EventOwner): PreparedFence {
  return notEndedFences[owner.kind];
}

function notEndedFence(kind: OwnerKind): PreparedFence {
  const [status, table, ended] =
    kind === 'task' ? [tasks.status, tasks, [...terminalTaskStatuses]] : [sessions.state, sessions, [...endedSessionStates]];
  const id = kind === 'task' ? tasks.id : sessions.id;
  // The row is judged in the select list, not in a WHERE the planner could push below the lock: locked
  // whether it has ended or not, and read in its latest version once the lock is had. No row: no owner to end.
  const condition = sql`coalesce((select ${status} not in (${sql.join(
    ended.map((state) => sql`${state}`),
    sql`, `,
  )}) from ${table} where ${id} = ${sql.placeholder('ownerId')} for share), true)`;
  return { name: 'not_ended', condition, values: {} };
}

const notEndedFences: Record<OwnerKind, PreparedFence> = { task: notEndedFence('task'), session: notEndedFence('session') };

/** Most events an appender holds before its producer must wait ({@link EventAppender.add}). */
const APPENDER_MAX_PENDING = 1_000;

/** See {@link EventLog.appender}. */
export class EventAppender {
  private pending: MissionEventDraft[] = [];
  /** The write in flight, or about to start at the end of this turn of the event loop; the next one starts as it ends. */
  private writing: Promise<void> | undefined;
  private draining = false;
  private failure: unknown;

  constructor(private readonly write: (drafts: MissionEventDraft[]) => Promise<unknown>) {}

  /**
   * Queues an event behind the ones before it. Resolves at once, or — with too many events not yet
   * written — once the queue has room; rejects if an earlier write failed.
   */
  async add(draft: MissionEventDraft): Promise<void> {
    if (this.failure) throw this.failure;
    this.pending.push(draft);
    this.startWrite();
    if (this.pending.length >= APPENDER_MAX_PENDING) await this.flushed();
  }

  /** Resolves once every event added so far is stored and published; rejects with the first failed write. */
  async flushed(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.failure) throw this.failure;
  }

  /**
   * Waits for the write in flight, then hands over the events not written yet instead of writing them: for the
   * owner's last writer to store in a transaction of its own (a run's last output with the state event that ends
   * it). Rejects with the first failed write. Add nothing after.
   */
  async drain(): Promise<MissionEventDraft[]> {
    this.draining = true;
    while (this.writing) await this.writing;
    if (this.failure) throw this.failure;
    const rest = this.pending;
    this.pending = [];
    return rest;
  }

  private startWrite(): void {
    if (this.writing || this.draining || this.pending.length === 0) return;
    // Started once this turn of the event loop is over: the lines read with this one go with it, and a run whose
    // output came with its exit hands it all to `drain` (stored with the outcome, no write of its own).
    this.writing = endOfTurn().then(() => this.writeAll());
  }

  /** Writes the pending events, then those added meanwhile, until none are left, a write failed, or `drain` takes them. */
  private async writeAll(): Promise<void> {
    while (!this.draining && !this.failure && this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        await this.write(batch);
      } catch (error) {
        this.failure = error;
      }
    }
    this.writing = undefined;
  }
}

/** Resolves once the events of this turn of the event loop (I/O read together, and their microtasks) are handled. */
function endOfTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function toEvent(row: typeof events.$inferSelect): MissionEvent {
  return {
    ownerKind: row.ownerKind as OwnerKind,
    ownerId: row.ownerId,
    seq: row.seq,
    type: row.type,
    payload: row.payload,
    at: row.at.toISOString(),
  } as MissionEvent;
}

/** The events a statement stored by {@link EventLog.insertAfter}, as one JSON array (read them with {@link storedEventsOf}). */
export const storedEvents = sql<StoredEventJson[] | null>`(select json_agg(stored) from stored)`;

/** The events of {@link storedEvents}, in seq order. */
export function storedEventsOf(json: StoredEventJson[] | null): MissionEvent[] {
  return inOwnerOrder(
    (json ?? []).map((row) =>
      toEvent({
        id: row.id,
        ownerKind: row.owner_kind,
        ownerId: row.owner_id,
        seq: row.seq,
        type: row.type,
        payload: row.payload,
        at: new Date(row.at),
      }),
    ),
  );
}

interface StoredEventJson {
  id: number;
  owner_kind: string;
  owner_id: string;
  seq: number;
  type: string;
  payload: unknown;
  at: string;
}

/**
 * The insert of owners' events, each owner's with consecutive seqs in the order given, `where` a condition (a fence)
 * holds. Every row's subquery sees the table as the statement began: the rows take max + 1, max + 2, ….
 */
function insertEvents(db: Database | Transaction, batches: readonly (OwnedDrafts | PlaceholderOwnedDrafts)[], where?: SQL) {
  const rows = batches.flatMap(({ owner, drafts }) =>
    drafts.map((draft, index) => {
      const payload = is(draft.payload, Placeholder) ? draft.payload : JSON.stringify(draft.payload);
      return sql`(${owner.kind}, ${owner.id}, ${index + 1}::int, ${draft.type}, ${payload}::jsonb)`;
    }),
  );
  return db
    .insert(events)
    .select(
      sql`select nextval('events_id_seq'), v.owner_kind, v.owner_id,
        (select coalesce(max(${events.seq}), 0) from ${events} where ${events.ownerId} = v.owner_id) + v.n, v.type, v.payload, now()
        from (values ${sql.join(rows, sql`, `)}) as v(owner_kind, owner_id, n, type, payload)
        ${where ? sql`where ${where}` : sql``}`,
    )
    .returning();
}

/** Owners grouped, each in seq order; plain code-unit order, since localeCompare is slow on this hot path. */
function inOwnerOrder(stored: MissionEvent[]): MissionEvent[] {
  return stored.sort((a, b) => (a.ownerId < b.ownerId ? -1 : a.ownerId > b.ownerId ? 1 : a.seq - b.seq));
}
