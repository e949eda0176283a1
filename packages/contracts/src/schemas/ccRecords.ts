import { z } from 'zod';

/** Statuses of Claude Code's task list (TaskCreate / TaskUpdate), as its task files hold them. */
export const ccTodoStatuses = ['pending', 'in_progress', 'completed'] as const;

/** One item of a Claude Code session's task list (`~/.claude/tasks/<session>/<n>.json`). */
export const ccTodoSchema = z.object({
  id: z.string(),
  content: z.string(),
  status: z.enum(ccTodoStatuses),
  activeForm: z.string().nullable(),
});
export type CcTodo = z.infer<typeof ccTodoSchema>;

/** A Claude Code session as its transcript (`~/.claude/projects/<project>/<session>.jsonl`) tells it. */
export const ccSessionSchema = z.object({
  id: z.string(),
  workerId: z.string(),
  /** The CLI's working directory (from the transcript; the project folder name when it has none). */
  cwd: z.string().nullable(),
  /** The folder under ~/.claude/projects the transcript is in. */
  projectDir: z.string(),
  gitBranch: z.string().nullable(),
  firstPrompt: z.string().nullable(),
  /** The CLI's own summary or title of the session, when it wrote one. */
  summary: z.string().nullable(),
  model: z.string().nullable(),
  userMessages: z.number().int(),
  assistantMessages: z.number().int(),
  toolUses: z.number().int(),
  lastActivity: z.string().nullable(),
  /** Its last turn has no answer yet (a prompt or tool result waits for the model), and it was active lately. */
  inProgress: z.boolean(),
  todos: z.array(ccTodoSchema),
});
export type CcSession = z.infer<typeof ccSessionSchema>;

/** Orders sessions by their last activity, newest first (those without one last). */
export const newestActivityFirst = (a: CcSession, b: CcSession) => (b.lastActivity ?? '').localeCompare(a.lastActivity ?? '');

/**
 * Every Claude Code session once: workers sharing a HOME (two on one machine, or a shared volume) report
 * the same transcript, and a session id is a UUID, so the same id is the same session. The first report wins.
 */
export function distinctSessions(sessions: readonly CcSession[]): CcSession[] {
  const seen = new Set<string>();
  return sessions.filter((session) => {
    if (seen.has(session.id)) return false;
    seen.add(session.id);
    return true;
  });
}

/** How each asked worker answered: a worker that did not answer in time is reported, not an error. */
export const ccWorkerReportSchema = z.object({
  workerId: z.string(),
  ok: z.boolean(),
  sessions: z.number().int(),
  error: z.string().optional(),
});
export type CcWorkerReport = z.infer<typeof ccWorkerReportSchema>;

export const ccSessionListSchema = z.object({ sessions: z.array(ccSessionSchema), workers: z.array(ccWorkerReportSchema) });
export type CcSessionList = z.infer<typeof ccSessionListSchema>;

export const ccSessionQuerySchema = z.strictObject({
  worker: z.string().min(1).max(200).optional(),
  cwd: z.string().min(1).max(4096).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type CcSessionQuery = z.infer<typeof ccSessionQuerySchema>;

const todoCountsSchema = z.object({ pending: z.number().int(), in_progress: z.number().int(), completed: z.number().int() });

export const ccOverviewSchema = z.object({
  sessions: z.number().int(),
  inProgress: z.number().int(),
  todos: todoCountsSchema,
  perWorker: z.array(z.object({ workerId: z.string(), sessions: z.number().int(), inProgress: z.number().int(), todos: todoCountsSchema })),
  workers: z.array(ccWorkerReportSchema),
});
export type CcOverview = z.infer<typeof ccOverviewSchema>;
