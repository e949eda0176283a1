import { sql } from 'drizzle-orm';
import { bigserial, boolean, doublePrecision, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

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
  /** 'none' (run in cwd) or 'worktree': each session gets its own `git worktree` of cwd on a branch named after it. */
  workspace: text('workspace').notNull().default('none'),
  /** With `workspace: worktree`: keep the worktree (and its branch) after the session ends. */
  keepWorkspace: boolean('keep_workspace').notNull().default(false),
  /** A session of this slot that its worker lost or handed over (drained) is resumed on another worker by itself. */
  autoResume: boolean('auto_resume').notNull().default(false),
  /** Most tasks of this slot running at once across all workers; null = no limit beyond the workers' own. */
  maxConcurrency: integer('max_concurrency'),
  /** Warm agents kept waiting for this slot's tasks ({ size, idleSeconds }); null = none, every task starts cold. */
  warmPool: jsonb('warm_pool').$type<{ size: number; idleSeconds: number }>(),
  /** Most this slot's tasks may cost in a UTC day before new ones are refused; null = no budget. */
  dailyBudgetUsd: doublePrecision('daily_budget_usd'),
  /** Most an agent tree rooted at one of this slot's sessions or tasks may cost before it may start no more children; null = no budget. */
  treeBudgetUsd: doublePrecision('tree_budget_usd'),
  /** 'file' when it came from slots.yaml, 'api' when set over REST. */
  source: text('source').notNull(),
  ...timestamps,
});

/**
 * A slot whose agent hit Claude's usage or rate limit: none of its tasks starts before `pausedUntil` (the reset
 * Claude Code reported). The row goes when the slot resumes (its time came, or an admin resumed it early).
 */
export const slotPauses = pgTable('slot_pauses', {
  slot: text('slot')
    .primaryKey()
    .references(() => slots.id, { onDelete: 'cascade' }),
  pausedUntil: timestamp('paused_until', { withTimezone: true }).notNull(),
  /** What Claude Code said (its result text, or the limit screen). */
  reason: text('reason').notNull(),
  /** The task or session that hit the limit: its events tell the pause and the resume. */
  ownerKind: text('owner_kind').notNull(),
  ownerId: text('owner_id').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

export const tasks = pgTable(
  'tasks',
  {
    id: text('id').primaryKey(),
    slot: text('slot')
      .notNull()
      .references(() => slots.id),
    mode: text('mode').notNull(),
    /**
     * An `ask` whose asker answers Claude's questions while it waits (an MCP client that takes elicitation): they wait
     * as approvals, as a submitted task's do. Else an ask's Claude is told at once that nobody can answer.
     */
    askerAnswers: boolean('asker_answers').notNull().default(false),
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
    /** The session or task that started this one (an agent's own sub-task, a coordination's child), if any. */
    parentId: text('parent_id'),
    /** 'never': a prompt already delivered to Claude is not run again; 'safe': it may be, up to `maxAttempts`. */
    retry: text('retry').notNull().default('never'),
    maxAttempts: integer('max_attempts').notNull().default(3),
    /** Runs started (claims by a worker). */
    attempts: integer('attempts').notNull().default(0),
    /** When the current attempt handed the prompt to Claude; null while it has not. */
    promptDeliveredAt: timestamp('prompt_delivered_at', { withTimezone: true }),
    /** Idempotency keys are the caller's own: the id of the token that sent it (`local` with auth off). */
    idempotencyScope: text('idempotency_scope'),
    idempotencyKey: text('idempotency_key'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>(),
    cancelRequestedAt: timestamp('cancel_requested_at', { withTimezone: true }),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    index('tasks_status_created_idx').on(t.status, t.createdAt),
    index('tasks_slot_created_idx').on(t.slot, t.createdAt),
    index('tasks_worker_status_idx').on(t.workerId, t.status),
    index('tasks_parent_idx').on(t.parentId),
    // The budget check sums a slot's cost since midnight on every submit.
    index('tasks_slot_finished_idx').on(t.slot, t.finishedAt),
    uniqueIndex('tasks_idempotency_idx').on(t.idempotencyScope, t.idempotencyKey),
  ],
);

export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    slot: text('slot')
      .notNull()
      .references(() => slots.id),
    ownerWorker: text('owner_worker'),
    /** The session that spawned this one (a manager's specialist), if any. */
    parentId: text('parent_id'),
    /** A session for one prompt (`mission_run`): killed once it answered; its events and transcript are kept. */
    temporary: boolean('temporary').notNull().default(false),
    /** With a `worktree` workspace: the branch and folder the session works in. */
    workspaceBranch: text('workspace_branch'),
    workspacePath: text('workspace_path'),
    claudeSessionId: text('claude_session_id'),
    /** `hooks` or `screen`: how the worker follows the CLI (see sessionDrivers). */
    driver: text('driver').notNull().default('hooks'),
    /** The driver the session asked for: `driver` is `screen` in its place while claude's settings forbid hooks. */
    requestedDriver: text('requested_driver').notNull().default('hooks'),
    /** The dialog a `blocked` session shows ({kind, text, options}), else null. */
    blocking: jsonb('blocking').$type<{ kind: string; text: string; options: { key: string; label: string }[] }>(),
    state: text('state').notNull(),
    cols: integer('cols').notNull().default(120),
    rows: integer('rows').notNull().default(40),
    exitCode: integer('exit_code'),
    /** The signal that killed its claude ("SIGKILL"); then there is no exit code. */
    exitSignal: text('exit_signal'),
    /** Why it ended (killed on request, claude's error, its worker lost, …); null while it runs. */
    exitReason: text('exit_reason'),
    /** What the session has cost in all, from the CLI's transcript (its `cost-state` record); null until it reports one. */
    costUsd: doublePrecision('cost_usd'),
    /** Its tokens in all, in the keys a task's usage has (`input_tokens`, `output_tokens`, …). */
    usage: jsonb('usage').$type<Record<string, number>>(),
    /** When the cost was last recorded: the day the session's spend counts on. */
    costAt: timestamp('cost_at', { withTimezone: true }),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    index('sessions_state_idx').on(t.state),
    index('sessions_owner_worker_idx').on(t.ownerWorker),
    index('sessions_parent_idx').on(t.parentId),
    index('sessions_slot_cost_at_idx').on(t.slot, t.costAt),
  ],
);

/** Agent trees that reached a budget: one row per tree and budget, so the exhaustion is announced once. */
export const budgetExhaustions = pgTable(
  'budget_exhaustions',
  {
    /** The session or task the tree grows from. */
    rootId: text('root_id').notNull(),
    budgetUsd: doublePrecision('budget_usd').notNull(),
    /** What the tree had cost when a child was first refused. */
    costUsd: doublePrecision('cost_usd').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('budget_exhaustions_root_budget_idx').on(t.rootId, t.budgetUsd)],
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

/** The worker registry: every worker process, alive or not, and when it last said so. */
export const workers = pgTable('workers', {
  id: text('id').primaryKey(),
  host: text('host').notNull(),
  pid: integer('pid').notNull(),
  /** Tasks it runs at once. */
  capacity: integer('capacity').notNull(),
  /** PTY sessions it holds at once. */
  maxSessions: integer('max_sessions').notNull().default(0),
  /** The slots whose tasks it takes; null = all. */
  slots: jsonb('slots').$type<string[]>(),
  /** active → draining (SIGTERM) → gone (row deleted); active → lost (no heartbeat within the timeout). */
  state: text('state').notNull().default('active'),
  lostAt: timestamp('lost_at', { withTimezone: true }),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
  heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Every version of every role's rules: the newest is in force, the rest say who changed what and when. */
export const roleVersions = pgTable(
  'role_versions',
  {
    role: text('role').notNull(),
    version: integer('version').notNull(),
    description: text('description').notNull().default(''),
    allow: jsonb('allow').$type<string[]>().notNull(),
    confirm: jsonb('confirm').$type<string[]>().notNull(),
    deny: jsonb('deny').$type<string[]>().notNull(),
    /** The Mission MCP tools an agent of this role is given (e.g. a manager: spawn, send, kill); none by default. */
    missionTools: jsonb('mission_tools').$type<string[]>().notNull().default([]),
    /** Agent-raised actions by class: `gated` asks a person every time, `auto` records a receipt and goes on. */
    actionClasses: jsonb('action_classes').$type<Record<string, 'gated' | 'auto'>>().notNull().default({}),
    /** Claude Code's sandbox for the role's commands (roleSandboxSchema); null: off. */
    sandbox: jsonb('sandbox').$type<{ network: string[]; writable: string[] } | null>(),
    /** The slots the role's agents may use (names or `*` globs); null: any slot. */
    slots: jsonb('slots').$type<string[] | null>(),
    /** Dollars a tree rooted at one of the role's agents may spend; null: no budget of the role's. */
    treeBudgetUsd: doublePrecision('tree_budget_usd'),
    changedBy: text('changed_by').notNull(),
    changedAt: timestamp('changed_at', { withTimezone: true }).notNull().defaultNow(),
    /** When this version was last put in force (the most recently activated one is); null = a draft never activated. */
    activatedAt: timestamp('activated_at', { withTimezone: true }).defaultNow(),
    activatedBy: text('activated_by'),
  },
  (t) => [uniqueIndex('role_versions_role_version_idx').on(t.role, t.version)],
);

/** A tool use a `confirm` rule held for a person (or the main agent) to decide. */
export const approvals = pgTable(
  'approvals',
  {
    id: text('id').primaryKey(),
    ownerKind: text('owner_kind').notNull(),
    ownerId: text('owner_id').notNull(),
    slot: text('slot').notNull(),
    role: text('role').notNull(),
    tool: text('tool').notNull(),
    input: jsonb('input').$type<Record<string, unknown>>().notNull(),
    rule: text('rule'),
    /** pending → approved | denied | expired */
    status: text('status').notNull(),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    decidedBy: text('decided_by'),
    reason: text('reason'),
    /** Claude's question (AskUserQuestion) answered: each answer by its question's text. */
    answers: jsonb('answers').$type<Record<string, string>>(),
    /** The subagent whose tool use it is ({id, type}); null for Claude's own. */
    subagent: jsonb('subagent').$type<{ id: string; type?: string }>(),
  },
  (t) => [index('approvals_status_requested_idx').on(t.status, t.requestedAt)],
);

/** The audit trail: every allow/deny given to a tool use, by policy or by whom. */
export const permissionDecisions = pgTable(
  'permission_decisions',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    ownerKind: text('owner_kind').notNull(),
    ownerId: text('owner_id').notNull(),
    tool: text('tool').notNull(),
    input: jsonb('input').$type<Record<string, unknown>>().notNull(),
    decision: text('decision').notNull(),
    by: text('by').notNull(),
    role: text('role').notNull(),
    roleVersion: integer('role_version').notNull(),
    rule: text('rule'),
    approvalId: text('approval_id'),
    reason: text('reason'),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('permission_decisions_owner_idx').on(t.ownerId, t.at)],
);

/** API bearer tokens: only a hash of the secret is kept. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    secretHash: text('secret_hash').notNull(),
    scopes: jsonb('scopes').$type<string[]>().notNull(),
    /** A child token: minted for this session's agent, revoked when the session ends. */
    sessionId: text('session_id'),
    /** A child token minted for this task's (`claude -p`) agent, revoked when the task ends. */
    taskId: text('task_id'),
    /** The Mission MCP tools the token may call; null = any its scopes allow. */
    tools: jsonb('tools').$type<string[]>(),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  // Ending a task or session revokes its agent's tokens by owner: partial indexes over the live ones.
  (t) => [
    index('api_tokens_live_task_idx').on(t.taskId).where(sql`${t.taskId} is not null and ${t.revokedAt} is null`),
    index('api_tokens_live_session_idx').on(t.sessionId).where(sql`${t.sessionId} is not null and ${t.revokedAt} is null`),
  ],
);

/** Text sent from one session (or from outside) to another: delivered as a prompt when the target is idle. */
export const sessionMessages = pgTable(
  'session_messages',
  {
    id: text('id').primaryKey(),
    fromSessionId: text('from_session_id'),
    toSessionId: text('to_session_id').notNull(),
    text: text('text').notNull(),
    /** queued → delivered (typed into the target) → answered (its reply recorded) | failed */
    status: text('status').notNull(),
    reply: text('reply'),
    error: text('error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    answeredAt: timestamp('answered_at', { withTimezone: true }),
  },
  (t) => [index('session_messages_to_status_idx').on(t.toSessionId, t.status, t.createdAt)],
);

/** Where to send a webhook when an event of these kinds happens (on these slots / roles; null = all). */
export const notificationSubscriptions = pgTable('notification_subscriptions', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  url: text('url').notNull(),
  /** 'json' (Mission's own body), 'slack' (incoming webhooks) or 'ntfy'. */
  format: text('format').notNull(),
  events: jsonb('events').$type<string[]>().notNull(),
  slots: jsonb('slots').$type<string[]>(),
  roles: jsonb('roles').$type<string[]>(),
  /** Key of the HMAC-SHA256 signature on every body. */
  secret: text('secret').notNull(),
  enabled: boolean('enabled').notNull().default(true),
  /** 'file' when it came from notifications.yaml, 'api' when set over REST. */
  source: text('source').notNull(),
  ...timestamps,
});

/** One notification to one subscription: its body, and how delivering it went (the delivery log). */
export const notificationDeliveries = pgTable(
  'notification_deliveries',
  {
    /** `<subscription id>.<event owner id>.<event seq>`: one event is delivered to one subscription once. */
    id: text('id').primaryKey(),
    subscriptionId: text('subscription_id').notNull(),
    kind: text('kind').notNull(),
    /** The session or task the event belongs to: deliveries of one subject go out in `seq` order. */
    subject: text('subject').notNull(),
    seq: integer('seq').notNull(),
    notification: jsonb('notification').$type<Record<string, unknown>>().notNull(),
    /** pending → delivered | failed (no 2xx after every attempt) */
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastAttemptAt: timestamp('last_attempt_at', { withTimezone: true }),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
  },
  (t) => [
    index('notification_deliveries_sub_created_idx').on(t.subscriptionId, t.createdAt),
    index('notification_deliveries_subject_idx').on(t.subscriptionId, t.subject, t.seq),
  ],
);

/** What an agent did or asked to do through the gate (mission_request_approval, mission_log_action): who, what, when, decided how. */
export const actionReceipts = pgTable(
  'action_receipts',
  {
    id: text('id').primaryKey(),
    ownerKind: text('owner_kind').notNull(),
    ownerId: text('owner_id').notNull(),
    slot: text('slot').notNull(),
    role: text('role').notNull(),
    actionClass: text('action_class').notNull(),
    summary: text('summary').notNull(),
    evidence: jsonb('evidence'),
    /** 'gated' (an approval decides), 'auto' (went ahead, recorded), 'logged' (done, reported afterwards). */
    mode: text('mode').notNull(),
    approvalId: text('approval_id'),
    actor: text('actor').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('action_receipts_owner_idx').on(t.ownerId, t.createdAt), index('action_receipts_created_idx').on(t.createdAt)],
);

/** Changes that have no history of their own (slots, tokens, role activations, subscriptions): who did what, when. */
export const auditEntries = pgTable(
  'audit_entries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    kind: text('kind').notNull(),
    actor: text('actor').notNull(),
    /** What it was done to: a slot id, a role name, a token id, a subscription id. */
    target: text('target').notNull(),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('audit_entries_at_idx').on(t.at)],
);

export type SlotRow = typeof slots.$inferSelect;
export type TaskRow = typeof tasks.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;
export type EventRow = typeof events.$inferSelect;
export type ApprovalRow = typeof approvals.$inferSelect;
export type RoleVersionRow = typeof roleVersions.$inferSelect;
export type NotificationSubscriptionRow = typeof notificationSubscriptions.$inferSelect;
export type NotificationDeliveryRow = typeof notificationDeliveries.$inferSelect;
export type ActionReceiptRow = typeof actionReceipts.$inferSelect;
