import { randomUUID } from 'node:crypto';
import {
  type ApprovalStore,
  type AttachInput,
  attachInputSchema,
  type ChannelSubscriber,
  channels,
  type CommandHandler,
  ConflictError,
  confirmChoices,
  type Database,
  type EventLog,
  endedSessionStates,
  type EventOwner,
  type Logger,
  NotFoundError,
  queueNames,
  type Redis,
  revokeAgentTokens,
  roleInForce,
  type SessionState,
  serveCommands,
  type SpawnJobData,
  terminalTaskStatuses,
  tables,
} from '@mission/shared';
import { Worker } from 'bullmq';
import { and, eq, inArray, isNull, notInArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { PtySession } from '../pty/ptySession.ts';
import { CLAUDE_SCREEN_ARGS } from '../pty/screenParser.ts';
import { dialogToolUse, type PermissionGuard } from '../permissions/permissionGuard.ts';
import { loadRunnableSlot } from '../runnableSlot.ts';
import { combineLaunches } from '../cliLaunch.ts';
import { childMcpLaunch } from '../childMcp.ts';
import { LiveSession } from './liveSession.ts';
import { claudeHomes } from '../transcripts/claudeHomes.ts';
import { ClaudeHomeScanner } from '../transcripts/claudeHomeScanner.ts';
import { SessionWorkspaces } from '../workspaces/sessionWorkspaces.ts';
import { MessageDelivery } from './messageDelivery.ts';

const { sessions, tasks } = tables;

export interface SessionHostOptions {
  db: Database;
  events: EventLog;
  /** Answers permission dialogs by the slot's role. */
  guard: PermissionGuard;
  approvals: ApprovalStore;
  /** BullMQ connection, and the publisher of raw PTY output. */
  connection: Redis;
  subscriber: ChannelSubscriber;
  logger: Logger;
  workerId: string;
  queuePrefix: string;
  claudeBin: string;
  /** The API's URL, for the MCP server of sessions whose role has Mission tools. */
  apiUrl: string;
  baseEnv: Record<string, string>;
  maxSessions: number;
  /** BullMQ job lock of spawn jobs (a spawn taken by a worker that died comes back after it). */
  jobLockMs: number;
}

const sendArgs = z.object({ sessionId: z.string(), text: z.string(), timeoutMs: z.number().int().positive() });
const confirmArgs = z.object({ sessionId: z.string(), choice: z.enum(confirmChoices), timeoutMs: z.number().int().positive(), by: z.string() });
const sessionArgs = z.object({ sessionId: z.string() });

/**
 * The PTY sessions this worker owns: takes `spawn` jobs while it has room, serves commands for its
 * sessions from its own queue, relays raw output and keystrokes for attached terminals.
 */
export class SessionHost {
  private readonly live = new Map<string, { session: LiveSession; detach: () => void }>();
  private readonly spawnWorker: Worker<SpawnJobData>;
  private readonly commandWorker: Worker;
  private readonly workspaces: SessionWorkspaces;
  private readonly messages: MessageDelivery;
  /** Claude Code's own records on this machine, for `cc.sessions`. */
  private readonly claudeRecords = new ClaudeHomeScanner();

  constructor(private readonly o: SessionHostOptions) {
    this.workspaces = new SessionWorkspaces(o.logger);
    this.messages = new MessageDelivery({ db: o.db, events: o.events, logger: o.logger });
    this.spawnWorker = new Worker<SpawnJobData>(queueNames.sessions, async (job) => this.spawn(job.data), {
      connection: o.connection,
      prefix: o.queuePrefix,
      concurrency: 4,
      lockDuration: o.jobLockMs,
      stalledInterval: o.jobLockMs,
    });
    this.spawnWorker.on('error', (error) => o.logger.error({ err: error }, 'session spawn worker error'));
    this.commandWorker = serveCommands({
      connection: o.connection,
      prefix: o.queuePrefix,
      workerId: o.workerId,
      concurrency: 1_000,
      handlers: this.handlers(),
      onError: (error, command) => o.logger.error({ err: error, command }, 'session command failed'),
    });
  }

  get count(): number {
    return this.live.size;
  }

  /** Ends every session (they become `lost`: resumable elsewhere with `claude --resume`) and stops serving. */
  async close(): Promise<void> {
    await this.spawnWorker.close();
    await this.endAll(async (id) => this.record(id, 'lost', null, 'the worker shut down; resume it with POST /v1/sessions/:id/resume'));
    await this.commandWorker.close();
  }

  /** Ends every session without a word: the fleet declared this worker lost and has recorded them as `lost` already. */
  async abandonAll(): Promise<void> {
    await this.endAll(async () => {});
  }

  /**
   * Ends the sessions here that a task's agent started, once that task has ended: nobody can steer them
   * after it (its token is revoked) and each holds a claude process. Run on every heartbeat.
   */
  async endSessionsOfEndedTasks(): Promise<void> {
    if (this.live.size === 0) return;
    const orphans = await this.o.db
      .select({ id: sessions.id, taskId: tasks.id, status: tasks.status })
      .from(sessions)
      .innerJoin(tasks, eq(tasks.id, sessions.parentId))
      .where(and(inArray(sessions.id, [...this.live.keys()]), inArray(tasks.status, [...terminalTaskStatuses])));
    await Promise.all(
      orphans.map(({ id, taskId, status }) => this.end(id, async () => this.record(id, 'exited', null, `the task that started it (${taskId}) ended (${status})`))),
    );
  }

  private async endAll(recordEnd: (sessionId: string) => Promise<void>): Promise<void> {
    await Promise.all([...this.live.keys()].map((id) => this.end(id, () => recordEnd(id))));
  }

  /** Kills a session's claude and records its end as `recordEnd` says (not as a plain exit). */
  private async end(id: string, recordEnd: () => Promise<void>): Promise<void> {
    const entry = this.live.get(id);
    if (!entry) return;
    this.forget(id);
    await entry.session.kill();
    await entry.session.flushed();
    await recordEnd();
  }

  private handlers(): Record<string, CommandHandler> {
    return {
      send: this.command(sendArgs, (session, args) => session.send(args.text, args.timeoutMs)),
      confirm: this.command(confirmArgs, (session, args) => session.confirm(args.choice, args.timeoutMs, args.by)),
      interrupt: this.command(sessionArgs, (session) => session.interrupt()),
      screen: this.command(sessionArgs, (session) => session.screen()),
      serialize: this.command(sessionArgs, (session) => session.pty.serialize()),
      kill: this.command(sessionArgs, (session) => session.kill()),
      'cc.sessions': async () => this.claudeRecords.scan(await claudeHomes(this.o.db, this.o.baseEnv), this.o.workerId),
      // Answers at once: the delivery goes on (and the send API nudges, it does not wait).
      deliver_messages: this.command(sessionArgs, (session) => void this.messages.deliver(session)),
    };
  }

  /** A command on one session; it answers once the events of what it did are stored, so callers read them after. */
  private command<A extends { sessionId: string }, R>(args: z.ZodType<A>, run: (session: LiveSession, args: A) => R | Promise<R>): CommandHandler {
    return async (data) => {
      const parsed = args.parse(data);
      const session = this.session(parsed.sessionId);
      const result = await run(session, parsed);
      await session.flushed();
      return result;
    };
  }

  private session(id: string): LiveSession {
    const entry = this.live.get(id);
    if (!entry) throw new ConflictError(`session ${id} is not running on worker ${this.o.workerId} any more`);
    return entry.session;
  }

  /**
   * Takes a session: starts claude in a PTY (with `--resume` when a lost session is resumed), claims the
   * row (which tells the API who owns it, so the session must already answer commands), and wires
   * events, state and attach channels.
   */
  private async spawn({ sessionId, resume }: SpawnJobData): Promise<void> {
    const owner: EventOwner = { kind: 'session', id: sessionId };
    const [row] = await this.o.db.select().from(sessions).where(and(eq(sessions.id, sessionId), eq(sessions.state, 'starting'), isNull(sessions.ownerWorker)));
    if (!row) throw new NotFoundError('session', sessionId);
    const log = this.o.logger.child({ sessionId });
    const runnable = await loadRunnableSlot(this.o.db, row.slot);
    if ('problem' in runnable) return this.spawnFailed(sessionId, runnable.problem);
    const { slot } = runnable;
    if (resume && !row.claudeSessionId) throw new ConflictError(`session ${sessionId} has no Claude Code session id to resume`);
    const claudeSessionId = resume ? row.claudeSessionId! : randomUUID();
    const place = await this.workspaces.prepare(slot, sessionId);
    if ('problem' in place) return this.spawnFailed(sessionId, place.problem);
    const { missionTools } = (await roleInForce(this.o.db, slot.role)).rules;
    const mission = combineLaunches([await childMcpLaunch(this.o.db, { kind: 'session', id: sessionId, role: slot.role, missionTools }, this.o.apiUrl, { refusalsToo: row.parentId !== null })]);
    const pty = new PtySession({
      bin: this.o.claudeBin,
      args: [
        ...CLAUDE_SCREEN_ARGS,
        ...(resume ? ['--resume', claudeSessionId] : ['--session-id', claudeSessionId]),
        ...(slot.model ? ['--model', slot.model] : []),
        ...mission.args,
        ...slot.args,
      ],
      cwd: place.cwd,
      env: { ...this.o.baseEnv, TERM: 'xterm-256color', COLORTERM: 'truecolor', ...slot.env, ...mission.env },
      cols: row.cols,
      rows: row.rows,
    });
    const session = new LiveSession(sessionId, pty, {
      emit: async (draft) => {
        await this.o.events.append(owner, draft);
      },
      guardDialog: async (dialog, pending) => {
        const answer = await this.o.guard.check({ owner, slot, use: dialogToolUse(dialog), onApprovalPending: pending });
        return { choice: answer.decision === 'allow' ? 'yes' : 'no', reason: answer.reason };
      },
      decideApproval: async (approvalId, choice, by) => {
        await this.o.approvals.decide(approvalId, choice === 'no' ? 'denied' : 'approved', by);
      },
      stateChanged: async (state, exit, endReason) => {
        // A session no longer in `live` was ended on purpose (shutdown, lost, taken by another worker): recorded there.
        if (!this.live.has(sessionId)) return;
        if (state === 'exited') {
          this.forget(sessionId);
          // LiveSession has told the reason in its own state event.
          await this.record(sessionId, 'exited', exit?.exitCode ?? null, endReason ?? 'claude exited', { announce: false });
          log.info({ exitCode: exit?.exitCode }, 'session exited');
        } else {
          await this.o.db
            .update(sessions)
            .set({ state, updatedAt: sql`now()` })
            .where(and(eq(sessions.id, sessionId), eq(sessions.ownerWorker, this.o.workerId), notInArray(sessions.state, [...endedSessionStates])));
          if (state === 'idle') void this.messages.deliver(session);
        }
      },
    });
    const channel = channels(this.o.queuePrefix);
    const stopRelay = pty.onOutput((data) => void this.o.connection.publish(channel.ptyOutput(sessionId), data));
    const stopInput = await this.o.subscriber.subscribe(channel.ptyInput(sessionId), (message) => this.attachInput(session, message));
    this.live.set(sessionId, { session, detach: () => (stopRelay(), stopInput()) });
    this.updateCapacity();

    const [claimed] = await this.o.db
      .update(sessions)
      .set({ ownerWorker: this.o.workerId, claudeSessionId, workspaceBranch: place.workspace?.branch ?? null, workspacePath: place.workspace?.path ?? null, updatedAt: sql`now()` })
      .where(and(eq(sessions.id, sessionId), isNull(sessions.ownerWorker)))
      .returning({ id: sessions.id });
    if (!claimed) {
      this.forget(sessionId);
      await pty.kill();
      await this.workspaces.release(sessionId);
      log.warn('another worker took the session first');
      return;
    }
    await this.o.events.append(owner, { type: 'state', payload: { state: 'starting', ...(resume ? { reason: `resumed on worker ${this.o.workerId}` } : {}) } });
    log.info({ pid: pty.pid, slot: slot.id, resume: Boolean(resume) }, 'session started');
  }

  /** The session cannot start here (its slot or workspace is unusable): it ends at once, with the reason as an error event. */
  private async spawnFailed(sessionId: string, problem: string): Promise<void> {
    await this.o.events.append({ kind: 'session', id: sessionId }, { type: 'error', payload: { code: 'spawn_failed', message: problem } });
    await this.record(sessionId, 'exited', null, problem);
  }

  private attachInput(session: LiveSession, message: string): void {
    let input: AttachInput;
    try {
      input = attachInputSchema.parse(JSON.parse(message));
    } catch {
      return;
    }
    if (input.type === 'input') session.pty.write(input.data);
    else session.pty.resize(input.cols, input.rows);
  }

  private forget(sessionId: string): void {
    const entry = this.live.get(sessionId);
    if (!entry) return;
    entry.detach();
    entry.session.pty.dispose();
    this.live.delete(sessionId);
    this.updateCapacity();
  }

  /** Takes spawn jobs only while there is room for another session. */
  private updateCapacity(): void {
    const full = this.live.size >= this.o.maxSessions;
    if (full && !this.spawnWorker.isPaused()) this.spawnWorker.pause(true).catch(() => {});
    if (!full && this.spawnWorker.isPaused()) this.spawnWorker.resume();
  }

  /** Records that a session ended and why (its exitReason; `announce`: also as a state event). */
  private async record(sessionId: string, state: Extract<SessionState, 'exited' | 'lost'>, exitCode: number | null, reason: string, { announce = true } = {}): Promise<void> {
    await this.o.db.update(sessions).set({ state, exitCode, exitReason: reason, endedAt: sql`now()`, updatedAt: sql`now()` }).where(eq(sessions.id, sessionId));
    await this.workspaces.release(sessionId);
    await revokeAgentTokens(this.o.db, [sessionId]);
    await this.messages.failPending(sessionId, reason);
    if (announce) await this.o.events.append({ kind: 'session', id: sessionId }, { type: 'state', payload: { state, reason, exitCode } });
  }
}
