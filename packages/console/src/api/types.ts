/**
 * The API's answers, as far as the console reads them (the full contracts are the zod schemas in
 * packages/shared/src/schemas; the console is a plain HTTP client of the API and imports none of it).
 */

export type Counts = Record<string, number>;

export interface QueueDepth {
  waiting: number;
  prioritized: number;
  active: number;
  delayed: number;
  failed: number;
  backlog: number;
}

export interface Overview {
  tasks: { byStatus: Counts; bySlot: Record<string, Counts> };
  sessions: { byState: Counts; bySlot: Record<string, Counts> };
  workers: Record<string, { liveSessions: number; tasks: number }>;
  queues: { tasks: QueueDepth; sessions: QueueDepth };
}

export interface Worker {
  id: string;
  host: string;
  pid: number;
  capacity: number;
  maxSessions: number;
  slots: string[] | null;
  state: 'active' | 'draining' | 'lost';
  runningTasks: number;
  liveSessions: number;
  heartbeatAgeMs: number;
}

export interface SlotUsage {
  slot: string;
  tasksToday: number;
  costTodayUsd: number;
  dailyBudgetUsd: number | null;
}

export interface Usage {
  day: string;
  slots: SlotUsage[];
  totals: { costTodayUsd: number; costTotalUsd: number; tasksToday: number };
}

export interface Slot {
  id: string;
}

export interface Session {
  id: string;
  slot: string;
  state: string;
  ownerWorker: string | null;
  cols: number;
  rows: number;
  createdAt: string;
  endedAt: string | null;
  exitCode: number | null;
  exitSignal: string | null;
  /** `hooks` or `screen`: how the worker follows the CLI. */
  driver: string;
  /** The dialog a `blocked` session shows. */
  blocking: { kind: string; text: string; options: { key: string; label: string }[] } | null;
}

export interface Task {
  id: string;
  slot: string;
  status: string;
  prompt: string;
  result: string | null;
  error: string | null;
  costUsd: number | null;
  durationMs: number | null;
  numTurns: number | null;
  workerId: string | null;
  attempts: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface TaskPage {
  tasks: Task[];
  nextCursor: string | null;
}

export interface Approval {
  id: string;
  owner: { kind: 'task' | 'session'; id: string };
  slot: string;
  role: string;
  tool: string;
  input: Record<string, unknown>;
  rule: string | null;
  status: string;
  requestedAt: string;
  expiresAt: string;
  decidedBy: string | null;
}

/** One stored event of a task or session (`type` decides what `payload` holds). */
export interface MissionEvent {
  type: string;
  payload: Record<string, unknown>;
  seq: number;
  at: string;
}

/** One line of the audit trail (`GET /v1/audit`). */
export interface AuditEntry {
  id: string;
  kind: string;
  at: string;
  actor: string;
  subject: string | null;
  target: string;
  details: Record<string, unknown>;
}

/** `GET /v1/usage/daily` */
export interface DailySpend {
  days: { day: string; costUsd: number; tasksCostUsd: number; sessionsCostUsd: number; tasksEnded: number }[];
}

/** `GET /v1/usage/activity` */
export interface Activity {
  minutes: { at: string; tasksStarted: number; tasksEnded: number; queued: number }[];
}
