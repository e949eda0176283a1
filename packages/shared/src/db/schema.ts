import { bigserial, doublePrecision, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
};

export const slots = pgTable('slots', {
  id: text('id').primaryKey(),
  role: text('role').notNull().default('default'),
  description: text('description').notNull().default(''),
  cwd: text('cwd').notNull(),
  model: text('model'),
  args: jsonb('args').$type<string[]>().notNull().default([]),
  env: jsonb('env').$type<Record<string, string>>().notNull().default({}),
  /** 'file' when it came from slots.yaml, 'api' when set over REST. */
  source: text('source').notNull(),
  ...timestamps,
});

export const tasks = pgTable(
  'tasks',
  {
    id: text('id').primaryKey(),
    slot: text('slot')
      .notNull()
      .references(() => slots.id),
    mode: text('mode').notNull(),
    status: text('status').notNull(),
    prompt: text('prompt').notNull(),
    priority: integer('priority').notNull(),
    timeoutMs: integer('timeout_ms').notNull(),
    result: text('result'),
    error: text('error'),
    costUsd: doublePrecision('cost_usd'),
    usage: jsonb('usage').$type<Record<string, unknown>>(),
    durationMs: integer('duration_ms'),
    numTurns: integer('num_turns'),
    claudeSessionId: text('claude_session_id'),
    workerId: text('worker_id'),
    idempotencyKey: text('idempotency_key').unique(),
    metadata: jsonb('metadata').$type<Record<string, unknown>>(),
    cancelRequestedAt: timestamp('cancel_requested_at', { withTimezone: true }),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [index('tasks_status_created_idx').on(t.status, t.createdAt), index('tasks_slot_created_idx').on(t.slot, t.createdAt)],
);

export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    slot: text('slot')
      .notNull()
      .references(() => slots.id),
    ownerWorker: text('owner_worker'),
    claudeSessionId: text('claude_session_id'),
    state: text('state').notNull(),
    cols: integer('cols').notNull().default(120),
    rows: integer('rows').notNull().default(40),
    exitCode: integer('exit_code'),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [index('sessions_state_idx').on(t.state)],
);

/** Append-only log of everything tasks and sessions do, ordered per owner by `seq`. */
export const events = pgTable(
  'events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    ownerKind: text('owner_kind').notNull(),
    ownerId: text('owner_id').notNull(),
    seq: integer('seq').notNull(),
    type: text('type').notNull(),
    payload: jsonb('payload').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('events_owner_seq_idx').on(t.ownerId, t.seq)],
);

export const workers = pgTable('workers', {
  id: text('id').primaryKey(),
  host: text('host').notNull(),
  pid: integer('pid').notNull(),
  capacity: integer('capacity').notNull(),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
  heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }).notNull().defaultNow(),
});

export type SlotRow = typeof slots.$inferSelect;
export type TaskRow = typeof tasks.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;
export type EventRow = typeof events.$inferSelect;
