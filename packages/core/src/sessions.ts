import { setTimeout } from 'node:timers/promises';
import {
  type Caller,
  ConflictError,
  isEndedSessionState,
  isTerminalTaskStatus,
  MissionError,
  newId,
  NotFoundError,
  parseInput,
  type Session,
  type SessionListQuery,
  sessionListQuerySchema,
  type SessionScreen,
  sessionConfirmSchema,
  sessionSendSchema,
  sessionAnswerSchema,
  type SessionDriver,
  type BlockingDialogView,
  sessionSpawnSchema,
  type SessionState,
  type SessionTurn,
  UnavailableError,
} from '@mission/contracts';
import type { MissionEvent, SessionCommandArgs, SessionCommandName, WorkerCommandArgs, WorkerCommandResult } from '@mission/contracts';
import { turnTimeoutMs } from '@mission/contracts/vocabulary';
import {
  type ChannelSubscriber,
  type CommandClient,
  type Database,
  type EndedSessionState,
  type EventLog,
  jobNames,
  type Logger,
  revokeAgentTokens,
  type SessionRow,
  SessionStore,
  sessionRow,
  sessionRows,
  type SpawnJobData,
  taskRow,
  EventWatch,
  waitForEvent,
} from '@mission/store';
import type { Queue } from 'bullmq';
import type { ApprovalService } from './approvals.ts';
import { assertWithinDailyBudget } from './budget.ts';
import { assertAgentMayUseSlot } from './slotAccess.ts';
import { assertWithinTreeBudget } from './treeBudget.ts';
import { descendantsOf, parentFor, visibleSessions } from './hierarchy.ts';
import type { SlotService } from './slots.ts';
import type { RequestShutdown } from './requestShutdown.ts';

/** Commands other than `send` answer within this. */
const COMMAND_TIMEOUT_MS = 15_000;
/** How long a command on a session that has just ended may still take to answer. */
const ENDED_ANSWER_GRACE_MS = 2_000;
/** Beyond the worker's own wait, for the reply to travel back. */
const REPLY_MARGIN_MS = 5_000;

export interface SessionServiceOptions {
  db: Database;
  slots: SlotService;
  queue: Queue<SpawnJobData>;
  events: EventLog;
  subscriber: ChannelSubscriber;
  commands: CommandClient;
  approvals: ApprovalService;
  logger: Logger;
  /** How long a spawn or resume waits for a worker to take the session (MISSION_SESSION_PICKUP_TIMEOUT_MS). */
  pickupTimeoutMs: number;
  /** Ends a spawn's or resume's wait for a worker when the API shuts down. */
  shutdown: RequestShutdown;
}

/**
 * Interactive Claude Code sessions, as the REST API and the MCP server see them. A session lives in
 * the worker that took its `spawn` job; every later command goes to that worker's own queue.
 */
export class SessionService {
  private readonly store: SessionStore;

  constructor(private readonly deps: SessionServiceOptions) {
    this.store = new SessionStore(deps);
  }

  /**
   * Creates the session and waits until a worker has taken it (its state is then `starting` or later).
   * Its parent is the calling agent's session, or the `parent` an operator names.
   */
  async spawn(body: unknown, options: { caller?: Caller; temporary?: boolean } = {}): Promise<Session> {
    const input = parseInput(sessionSpawnSchema, body, 'session');
    const known = await this.deps.slots.assertKnown(input.slot, 'session');
    await assertAgentMayUseSlot(this.deps.db, options.caller, input.slot, 'spawn');
    await assertWithinDailyBudget(this.deps.db, input.slot, new Date(), known);
    const parentId = await parentFor(this.deps.db, options.caller, input.parent);
    if (parentId) await assertWithinTreeBudget(this.deps.db, this.deps.events, parentId);
    const id = newId('ses');
    await this.store.create({
      id,
      slot: input.slot,
      driver: input.driver,
      cols: input.cols,
      rows: input.rows,
      parentId,
      temporary: options.temporary ?? false,
    });
    return this.handToWorker({ sessionId: id }, id);
  }

  /**
   * Restarts a lost (or exited) session on whichever worker takes it, with `claude --resume` on its
   * Claude Code session id in the slot's cwd: the conversation goes on where it stopped. The session
   * keeps its id and its event log.
   */
  async resume(id: string): Promise<Session> {
    const session = await this.get(id);
    if (!isEndedSessionState(session.state))
      throw new ConflictError(`session ${id} is ${session.state}: only a lost or exited session can be resumed`, { state: session.state });
    if (!session.claudeSessionId) throw new ConflictError(`session ${id} never started Claude Code, so there is nothing to resume`);
    await this.assertStarterRuns(session);
    const reason = `resuming Claude Code session ${session.claudeSessionId} (was ${session.state}${session.ownerWorker ? ` on worker ${session.ownerWorker}` : ''})`;
    if (!(await this.store.resume(id, session.state as EndedSessionState, reason)))
      throw new ConflictError(`session ${id} changed while resuming it; try again`);
    return this.handToWorker({ sessionId: id, resume: true }, `${id}-resume-${Date.now()}`);
  }

  /** A session a task's agent started ends with the task (its worker ends it): it is not resumed after that. */
  private async assertStarterRuns(session: Session): Promise<void> {
    if (!session.parentId) return;
    const task = await taskRow(this.deps.db, session.parentId);
    if (task && isTerminalTaskStatus(task.status)) {
      throw new ConflictError(
        `session ${session.id} was started by task ${session.parentId}, which has ended (${task.status}); sessions a task started end with it`,
        { parentId: session.parentId },
      );
    }
  }

  /**
   * Puts the spawn job on the queue and waits for a worker to take it; gives up (session `lost`) when none does, or
   * when the API shuts down first: the job is taken off the queue, so that asking again starts no second session.
   */
  private async handToWorker(job: SpawnJobData, jobId: string): Promise<Session> {
    const id = job.sessionId;
    const { shutdown } = this.deps;
    await this.deps.queue.add(jobNames.spawn, job, { jobId, removeOnComplete: true, removeOnFail: { count: 1_000 } });
    const session = await this.waitForOwner(id, this.deps.pickupTimeoutMs, shutdown.signal);
    if (session) return session;
    if (await this.deps.queue.remove(jobId)) {
      await this.end(
        id,
        'lost',
        shutdown.signal.aborted ? 'the API shut down before a worker took the session' : 'no worker took the session',
      );
      shutdown.assertNotBegun(`no worker had taken session ${id} yet: it was taken off the queue (lost, nothing ran); ask again`, {
        sessionId: id,
      });
      throw new UnavailableError(
        `no worker took the session within ${this.deps.pickupTimeoutMs / 1000} s (are workers running, with free session capacity?)`,
      );
    }
    // A worker is taking it right now.
    return (await this.waitForOwner(id, this.deps.pickupTimeoutMs, shutdown.signal)) ?? this.get(id);
  }

  async get(id: string): Promise<Session> {
    const row = await sessionRow(this.deps.db, id);
    if (!row) throw new NotFoundError('session', id);
    return toSession(row);
  }

  /** Sessions, newest first; an agent sees only its own session and those under it. */
  async list(query: unknown, options: { caller?: Caller } = {}): Promise<Session[]> {
    const q: SessionListQuery = parseInput(sessionListQuerySchema, query, 'query');
    const visible = await visibleSessions(this.deps.db, options.caller);
    const rows = await sessionRows(this.deps.db, { state: q.state, slot: q.slot, parentId: q.parent, ids: visible, limit: q.limit });
    return rows.map(toSession);
  }

  /** Types the text into the session, submits it and waits for the reply (or for a permission dialog). */
  async send(id: string, body: unknown): Promise<SessionTurn> {
    const input = parseInput(sessionSendSchema, body, 'send');
    const timeoutMs = input.timeoutMs ?? turnTimeoutMs.default;
    return this.turn(this.command(id, 'send', { text: input.text, timeoutMs }, timeoutMs + REPLY_MARGIN_MS));
  }

  /**
   * Answers the open permission dialog by meaning: yes, yes_always or no (with a `reason` Claude is told). When the
   * dialog waits for an approval, this decides the approval (recorded as `by`).
   */
  async confirm(id: string, body: unknown, by: string): Promise<SessionTurn> {
    const input = parseInput(sessionConfirmSchema, body, 'confirm');
    const timeoutMs = input.timeoutMs ?? turnTimeoutMs.default;
    return this.turn(
      this.command(id, 'confirm', { choice: input.choice, reason: input.reason, timeoutMs, by }, timeoutMs + REPLY_MARGIN_MS),
    );
  }

  /**
   * Answers the dialog a `blocked` session shows: folder trust, login, … with one of its options (the key is pressed
   * once, and the answer is the session once the screen no longer shows that dialog), or Claude's own question with
   * an option or in words (then the answer is the session once the turn ended, or stopped at its next question).
   */
  async answer(id: string, body: unknown): Promise<SessionTurn> {
    const input = parseInput(sessionAnswerSchema, body, 'answer');
    const timeoutMs = input.timeoutMs ?? turnTimeoutMs.default;
    const reply = input.text === undefined ? { option: input.option ?? '' } : { option: '', text: input.text };
    return this.turn(this.command(id, 'answer', { ...reply, timeoutMs }, timeoutMs + REPLY_MARGIN_MS));
  }

  async interrupt(id: string): Promise<SessionTurn> {
    return this.turn(this.command(id, 'interrupt', {}, COMMAND_TIMEOUT_MS));
  }

  /** A turn that stopped at an approval carries the link a person can open to decide it. */
  private async turn(pending: Promise<SessionTurn>): Promise<SessionTurn> {
    const turn = await pending;
    return turn.approval ? { ...turn, approval: { ...turn.approval, url: this.deps.approvals.link(turn.approval) } } : turn;
  }

  async screen(id: string): Promise<SessionScreen> {
    return this.command(id, 'screen', {}, COMMAND_TIMEOUT_MS);
  }

  /** The screen as escape sequences, for a terminal that attaches. */
  async serializedScreen(id: string): Promise<string> {
    return this.command(id, 'serialize', {}, COMMAND_TIMEOUT_MS);
  }

  /**
   * Ends the session's claude process (with `cascade`, first every session under it, deepest first) and
   * revokes their child tokens. Killing an ended session returns it as it is.
   */
  async kill(id: string, options: { cascade?: boolean } = {}): Promise<Session> {
    const session = await this.get(id);
    const ids = [...(options.cascade ? await descendantsOf(this.deps.db, id) : []), id];
    for (const each of ids) await this.killOne(each === id ? session : await this.get(each));
    await revokeAgentTokens(this.deps.db, ids);
    await this.deps.events.announceRevokedTokens({ owners: ids });
    return this.get(id);
  }

  /**
   * A session no worker has taken yet is ended by taking its spawn job off the queue; one a worker is
   * taking right now is killed once it has.
   */
  private async killOne(session: Session): Promise<void> {
    if (isEndedSessionState(session.state)) return;
    if (!session.ownerWorker) {
      if (await this.deps.queue.remove(session.id)) return this.end(session.id, 'exited', 'killed before a worker took it');
      const taken = await this.waitForOwner(session.id, this.deps.pickupTimeoutMs);
      if (!taken || isEndedSessionState(taken.state)) return;
    }
    await this.command(session.id, 'kill', {}, COMMAND_TIMEOUT_MS);
  }

  /** A command of `workerCommands` on the session, sent to the worker that owns it. */
  private async command<N extends SessionCommandName>(
    id: string,
    command: N,
    args: SessionCommandArgs<N>,
    timeoutMs: number,
  ): Promise<WorkerCommandResult<N>> {
    // Opened before the session is read, so an end that comes after the read is heard: the read is the watch's first
    // check, and the row is read again only when an event says the session ended (not at each working or idle).
    const watch = await EventWatch.open(this.deps.subscriber, this.deps.events.channel({ kind: 'session', id }), isEndEvent);
    try {
      const session = await this.get(id);
      if (isEndedSessionState(session.state)) throw endedError(session);
      if (!session.ownerWorker) throw new ConflictError(`session ${id} is still starting: no worker has taken it yet`);
      // A session that ends meanwhile (its worker lost, say) answers soon instead of at the timeout. A live
      // worker still gets a moment to answer: ending is what kill, or a send of /exit, is for.
      const done = new AbortController();
      const ended = watch
        .until(() => this.endedSession(id, done.signal), { timeoutMs, signals: [done.signal], checkFirst: false })
        .then(async (gone) => {
          if (!gone) return;
          await setTimeout(ENDED_ANSWER_GRACE_MS, undefined, { signal: done.signal });
          throw new ConflictError(`session ${id} ended (${gone.state}) while it was handling '${command}'`, { state: gone.state });
        });
      try {
        return await Promise.race([
          this.deps.commands.call(session.ownerWorker, command, { sessionId: id, ...args } as WorkerCommandArgs<N>, timeoutMs),
          ended as Promise<never>,
        ]);
      } catch (error) {
        // The API's shutdown answered the wait: the command was handed to the worker all the same.
        if (error instanceof MissionError && error.code === 'unavailable')
          this.deps.shutdown.assertNotBegun(afterShutdown(command, id, session.ownerWorker), { sessionId: id });
        throw error;
      } finally {
        done.abort();
        ended.catch(() => {
          // the race is over: its rejection (the abort above, or an end the race already reported) is no news
        });
      }
    } finally {
      watch.close();
    }
  }

  /** The session if it has ended; nothing is read once `done` (the command's race is over). */
  private async endedSession(id: string, done: AbortSignal): Promise<Session | undefined> {
    if (done.aborted) return undefined;
    const session = await this.get(id);
    return isEndedSessionState(session.state) ? session : undefined;
  }

  /** Resolves with the session once a worker has taken it (or it ended without one). */
  private waitForOwner(id: string, timeoutMs: number, signal?: AbortSignal): Promise<Session | undefined> {
    return this.waitForSession(id, (session) => Boolean(session.ownerWorker) || isEndedSessionState(session.state), timeoutMs, signal);
  }

  /** The session once `ready` holds for it, re-read after each of its state events; `undefined` after `timeoutMs` or on abort. */
  private waitForSession(
    id: string,
    ready: (session: Session) => boolean,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<Session | undefined> {
    return waitForEvent({
      subscriber: this.deps.subscriber,
      channel: this.deps.events.channel({ kind: 'session', id }),
      matches: isStateEvent,
      check: async () => {
        const session = await this.get(id);
        return ready(session) ? session : undefined;
      },
      timeoutMs,
      signals: [signal],
    });
  }

  /** Ends a session still `starting` whose spawn job was taken off the queue: no worker holds it. */
  private async end(id: string, state: EndedSessionState, reason: string): Promise<void> {
    await this.store.endUnclaimed(id, state, reason);
  }
}

/**
 * What goes on of a command on session `id` whose wait the API's shutdown cut: it was handed to `worker`, which runs it
 * — a text sent again would be typed twice, an answer given again finds its dialog gone — but for a read of the screen.
 */
function afterShutdown(command: SessionCommandName, id: string, worker: string): string {
  switch (command) {
    case 'send':
      return `the text went to worker ${worker}, which goes on with the turn: follow session ${id}'s events for the reply (sent again, the text would be typed twice)`;
    case 'screen':
    case 'serialize':
      return `read the screen of session ${id} again`;
    default:
      return `'${command}' went to worker ${worker}, which goes on with it: read session ${id} for where it stands`;
  }
}

/** `409 session … has ended (exited: killed on request)`: a command to a session that has ended, and why it did. */
export function endedError(session: Pick<Session, 'id' | 'state' | 'exitReason'>): ConflictError {
  return new ConflictError(`session ${session.id} has ended (${session.state}${session.exitReason ? `: ${session.exitReason}` : ''})`, {
    state: session.state,
    exitReason: session.exitReason,
  });
}

export function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    slot: row.slot,
    state: row.state as SessionState,
    parentId: row.parentId,
    temporary: row.temporary,
    ownerWorker: row.ownerWorker,
    claudeSessionId: row.claudeSessionId,
    driver: row.driver as SessionDriver,
    blocking: (row.blocking as BlockingDialogView | null) ?? null,
    workspaceBranch: row.workspaceBranch,
    exitCode: row.exitCode,
    exitSignal: row.exitSignal,
    exitReason: row.exitReason,
    costUsd: row.costUsd,
    usage: row.usage,
    cols: row.cols,
    rows: row.rows,
    createdAt: row.createdAt.toISOString(),
    endedAt: row.endedAt?.toISOString() ?? null,
  };
}

const isStateEvent = (event: MissionEvent): boolean => event.type === 'state';

/** A session's event that says it ended. */
const isEndEvent = (event: MissionEvent): boolean => event.type === 'state' && isEndedSessionState(event.payload.state);
