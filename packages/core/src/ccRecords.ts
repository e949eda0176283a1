import {
  type CcOverview,
  type CcSession,
  type CcSessionList,
  type CcTodo,
  type CcWorkerReport,
  ccSessionQuerySchema,
  ccTodoStatuses,
  distinctSessions,
  newestActivityFirst,
  NotFoundError,
  parseInput,
} from '@mission/contracts';
import { type CommandClient, type Database, listWorkers } from '@mission/store';

/** How long the API waits for a worker to list the Claude Code sessions on its machine. */
export const CC_WORKER_TIMEOUT_MS = 5_000;

type TodoCounts = Record<CcTodo['status'], number>;

/**
 * Claude Code's own records across the fleet: every active worker reports the sessions and task lists
 * the CLI wrote on its machine (command `cc.sessions`); the answers are merged here.
 */
export class CcRecordService {
  constructor(private readonly deps: { db: Database; commands: CommandClient; timeoutMs?: number }) {}

  /** Sessions newest first, filtered by worker and cwd; `workers` says which workers answered. */
  async sessions(query: unknown): Promise<CcSessionList> {
    const { worker, cwd, limit } = parseInput(ccSessionQuerySchema, query, 'query');
    const { sessions, workers } = await this.collect(worker);
    const matching = sessions.filter((session) => !cwd || session.cwd === cwd);
    return { sessions: matching.slice(0, limit), workers };
  }

  async inProgress(): Promise<CcSessionList> {
    const { sessions, workers } = await this.collect();
    return { sessions: sessions.filter((session) => session.inProgress), workers };
  }

  /** The task list of one Claude Code session (by its Claude Code session id). */
  async todos(sessionId: string): Promise<{ session: string; workerId: string; todos: CcTodo[] }> {
    const { sessions } = await this.collect();
    const session = sessions.find((candidate) => candidate.id === sessionId);
    if (!session) throw new NotFoundError('Claude Code session', sessionId);
    return { session: session.id, workerId: session.workerId, todos: session.todos };
  }

  async overview(): Promise<CcOverview> {
    const { sessions, workers } = await this.collect();
    const perWorker = workers.map(({ workerId }) => ({
      workerId,
      ...countsOf(sessions.filter((session) => session.workerId === workerId)),
    }));
    return { ...countsOf(sessions), perWorker, workers };
  }

  private async collect(onlyWorker?: string): Promise<{ sessions: CcSession[]; workers: CcWorkerReport[] }> {
    const active = (await listWorkers(this.deps.db, 'active')).filter((worker) => !onlyWorker || worker.id === onlyWorker);
    const answers = await Promise.all(active.map(async (worker) => this.ask(worker.id)));
    const sessions = distinctSessions(answers.flatMap((answer) => answer.sessions).sort(newestActivityFirst));
    return { sessions, workers: answers.map((answer) => answer.report) };
  }

  private async ask(workerId: string): Promise<{ sessions: CcSession[]; report: CcWorkerReport }> {
    try {
      const sessions = await this.deps.commands.call(workerId, 'cc.sessions', {}, this.deps.timeoutMs ?? CC_WORKER_TIMEOUT_MS);
      return { sessions, report: { workerId, ok: true, sessions: sessions.length } };
    } catch (error) {
      return { sessions: [], report: { workerId, ok: false, sessions: 0, error: error instanceof Error ? error.message : String(error) } };
    }
  }
}

function countsOf(sessions: CcSession[]): { sessions: number; inProgress: number; todos: TodoCounts } {
  const todos = Object.fromEntries(ccTodoStatuses.map((status) => [status, 0])) as TodoCounts;
  for (const todo of sessions.flatMap((session) => session.todos)) todos[todo.status] += 1;
  return { sessions: sessions.length, inProgress: sessions.filter((session) => session.inProgress).length, todos };
}
