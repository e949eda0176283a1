import { randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  CONTINUE_AFTER_LOSS_PROMPT,
  type AttachInput,
  attachInputSchema,
  cliPermissionSettings,
  ConflictError,
  type EventOwner,
  howToResume,
  limitPauseUntil,
  type MissionEventDraft,
  NotFoundError,
  type SessionDriver,
} from '@mission/contracts';
import {
  activeSlotPause,
  type ApprovalStore,
  type ChannelSubscriber,
  channels,
  type CommandHandlers,
  type Database,
  type EndedSessionState,
  type EventLog,
  type Logger,
  queueNames,
  type Redis,
  revokeAgentTokens,
  CommandServer,
  type SessionHandover,
  SessionStore,
  sessionStateOn,
  sessionsOfEndedTasks,
  SlotPauses,
  type SpawnJobData,
  type StateDetails,
  unclaimedSession,
} from '@mission/store';
import { DelayedError, type Job, Worker } from 'bullmq';
import { type PtyExit, PtySession } from '../pty/ptySession.ts';
import { CLAUDE_SCREEN_ARGS, CLAUDE_SCREEN_ENV } from '../pty/screenParser.ts';
import { dialogToolUse, type PermissionGuard } from '../permissions/permissionGuard.ts';
import { loadRunnableSlot } from '../runnableSlot.ts';
import { recordSessionCost } from './sessionCost.ts';
import { type AgentLauncher, agentPlaces } from '../agentProcess.ts';
import { guardedOwner } from '../ownedFiles.ts';
import { ifMissing } from '../transcripts/missingFile.ts';
import type { TerminalSpawner } from '../spawner/spawner.ts';
import { combineLaunches, settingsArgs } from '../cliLaunch.ts';
import { CLAUDE_QUIET_ENV, claudeHomePaths, prepareClaudeHomeFor } from '../claudeHome.ts';
import { childMcpLaunch } from '../childMcp.ts';
import { BashModeGate } from './bashModeGate.ts';
import { LiveSession } from './liveSession.ts';
import { HookedSession } from './hookedSession.ts';
import type { Confirmation, InteractiveSession, StateTold } from './interactive.ts';
import type { HookServer } from '../hooks/hookServer.ts';
import { foreignCallNotice } from '../agentCaller.ts';
import { sessionCostReportEnv, hookEnv, hookSettings, ownTelemetrySetting } from '../hooks/hookSettings.ts';
import { hooksForbiddenBy, settingsFilesOf } from '../hooks/hooksForbidden.ts';
import type { BlockingDialog } from '../pty/blockingDialog.ts';
import { claudeHomes } from '../transcripts/claudeHomes.ts';
import { ClaudeHomeScanner } from '../transcripts/claudeHomeScanner.ts';
import { savedConversation, savedCost } from '../transcripts/savedConversation.ts';
import { lastToldSpend } from '../runningSpend.ts';
import { SessionWorkspaces } from '../workspaces/sessionWorkspaces.ts';
import { MessageDelivery } from './messageDelivery.ts';
import { slotResumed } from './slotResume.ts';

export interface SessionHostOptions {
  db: Database;
  events: EventLog;
  /** Answers permission dialogs by the slot's role. */
  guard: PermissionGuard;
  /** Where sessions on the `hooks` driver post their hooks. */
  hookServer: HookServer;
  /** How long an approval waits: a held permission hook must outlast it. */
  approvalTimeoutMs: number;
  /** How often a hooked session's claude reports its running cost (its metrics export); 0: only at its exit (MISSION_COST_REPORT_MS). */
  costReportMs: number;
  approvals: ApprovalStore;
  /** BullMQ connection, and the publisher of raw PTY output. */
  connection: Redis;
  subscriber: ChannelSubscriber;
  logger: Logger;
  workerId: string;
  queuePrefix: string;
  /** Starts claude as the agent user, in an environment of its own. */
  launcher: AgentLauncher;
  /** Starts claude on the session's terminal (the worker's spawner process: the worker does not fork for it). */
  spawner: TerminalSpawner;
  /** The API's URL, for the MCP server of sessions whose role has Mission tools. */
  apiUrl: string;
  maxSessions: number;
  /** A session still `starting` this long after it was taken ends, with the reason (MISSION_SESSION_START_TIMEOUT_MS). */
  startTimeoutMs: number;
  /** BullMQ job lock of spawn jobs (a spawn taken by a worker that died comes back after it). */
  jobLockMs: number;
  /** How often a session its usage limit stopped looks whether its slot was resumed early (MISSION_HEARTBEAT_MS). */
  slotPausePollMs: number;
  /** Resumes on another worker the sessions of `autoResume` slots this worker loses (drained, or fenced off). */
  handover: SessionHandover;
}

/** A spawn job taken while this worker was full goes back to the queue for this long (another worker may take it). */
const FULL_RETRY_MS = 1_000;

/** How long the prompt that goes on with a lost turn waits for it (to its end, or to its permission request). */
const CONTINUE_TURN_TIMEOUT_MS = 5 * 60_000;

/** A hook call outlives the approval it may be held for by this much. */
const HOOK_TIMEOUT_MARGIN_MS = 60_000;

/**
 * What a resumed session is told when this worker finds no conversation saved to resume (`savedConversation`): its
 * claude was killed before it first saved one, or saved it where this worker cannot read it. It starts a new one.
 */
function conversationNotFound(claudeSessionId: string, workerId: string): MissionEventDraft {
  return {
    type: 'notice',
    payload: {
      kind: 'conversation_not_found',
      text:
        `Claude Code's conversation ${claudeSessionId} was not found on worker ${workerId}: its claude was killed before ` +
        'it first saved it (it saves once a prompt is submitted, then every 100 ms), or it was saved on a worker whose ' +
        "Claude Code home this one does not share. The session goes on in a new conversation: what was said before is in this session's " +
        "history, not in Claude's context.",
    },
  };
}

/**
 * What a session asked for with the hooks driver is told when its claude's settings forbid the hooks (`why`: the
 * setting and its file): it is followed by its screen instead.
 */
function hooksForbiddenNotice(why: string): MissionEventDraft {
  return {
    type: 'notice',
    payload: {
      kind: 'hooks_forbidden',
      text:
        `claude's settings forbid the hooks Mission follows a session by (${why}), so this session is followed by its ` +
        'screen instead (driver screen: replies as the screen shows them, tool calls as the screen summarises them). ' +
        'To have the hooks driver, remove that setting for the slot: Mission never changes it.',
    },
  };
}

/**
 * The driver a session asked for `asked` (the row's, which the API's schema took) is followed by: `screen` in place of
 * `hooks` when the settings of the claude that runs with `env` in `cwd` forbid hooks (`forbidden` says which).
 */
async function driverFor(
  asked: SessionDriver,
  env: Record<string, string | undefined>,
  cwd: string,
): Promise<{ driver: SessionDriver; forbidden: string | null } | { problem: string }> {
  if (asked !== 'hooks') return { driver: asked, forbidden: null };
  return settingsFilesOf(env, cwd)
    .then(hooksForbiddenBy)
    .then(
      (forbidden) => ({ driver: forbidden ? 'screen' : 'hooks', forbidden }),
      (error: Error) => ({ problem: `could not read claude's settings: ${error.message}` }),
    );
}

/**
 * The PTY sessions this worker owns: takes `spawn` jobs while it has room, serves commands for its
 * sessions from its own queue, relays raw output and keystrokes for attached terminals.
 */
export class SessionHost {
  private readonly live = new Map<string, { session: InteractiveSession; detach: () => void; ended: AbortController }>();
  /** Spawn jobs being taken now: they count against the capacity before their session is live. */
  private taking = 0;
  private readonly spawnWorker: Worker<SpawnJobData>;
  private readonly commands: CommandServer;
  private readonly workspaces: SessionWorkspaces;
  private readonly messages: MessageDelivery;
  private readonly store: SessionStore;
  private readonly pauses: SlotPauses;
  /** Claude Code's own records on this machine, for `cc.sessions`. */
  private readonly claudeRecords: ClaudeHomeScanner;

  constructor(private readonly deps: SessionHostOptions) {
    this.workspaces = new SessionWorkspaces(deps.logger, deps.launcher);
    this.claudeRecords = new ClaudeHomeScanner(deps.logger);
    this.store = new SessionStore(deps);
    this.pauses = new SlotPauses(deps);
    this.messages = new MessageDelivery({ db: deps.db, events: deps.events, logger: deps.logger });
    this.spawnWorker = new Worker<SpawnJobData>(queueNames.sessions, async (job, token) => this.take(job, token), {
      connection: deps.connection,
      prefix: deps.queuePrefix,
      concurrency: Math.max(1, Math.min(4, deps.maxSessions)),
      // A worker allowed no sessions never takes a spawn job.
      autorun: deps.maxSessions > 0,
      lockDuration: deps.jobLockMs,
      stalledInterval: deps.jobLockMs,
    });
    this.spawnWorker.on('error', (error) => deps.logger.error({ err: error }, 'session spawn worker error'));
    this.commands = new CommandServer({
      connection: deps.connection,
      subscriber: deps.subscriber,
      prefix: deps.queuePrefix,
      workerId: deps.workerId,
      concurrency: 1_000,
      handlers: this.handlers(),
      onError: (error, command) => deps.logger.error({ err: error, command }, 'session command failed'),
    });
  }

  get count(): number {
    return this.live.size;
  }

  /**
   * Ends every session (they become `lost`: resumable elsewhere with `claude --resume`; those of `autoResume` slots
   * are handed over, resumed on another worker) and stops serving. Spawn jobs stop first, so no handed-over session
   * comes back here.
   */
  async close(): Promise<void> {
    await this.spawnWorker.close();
    await this.loseAll('the worker shut down');
    await this.commands.close();
  }

  /** Ends every session without a word: the fleet declared this worker lost and has recorded them as `lost` already. */
  async abandonAll(): Promise<void> {
    await this.endAll(async () => {
      // nothing to record: the fleet has recorded them
    });
  }

  /**
   * Past the worker's lease (no heartbeat landed in time, see WorkerLease): ends every session here before the
   * fleet can hand it to another worker. Each is recorded `lost` once Postgres answers, unless the fleet has
   * declared it lost already.
   */
  async fence(): Promise<void> {
    await this.loseAll(`its worker (${this.deps.workerId}) stopped it: no heartbeat of the worker landed in time`);
  }

  /** Ends every session here as `lost` (`why`, then `hint` for its id), and hands over those of `autoResume` slots. */
  private async loseAll(why: string): Promise<void> {
    const ids = [...this.live.keys()];
    await this.endAll((id) => this.record(id, 'lost', null, { reason: `${why}; ${howToResume(id)}` }));
    await this.deps.handover.resumeLost(ids, why);
  }

  /**
   * Ends the sessions here that a task's agent started, once that task has ended: nobody can steer them
   * after it (its token is revoked) and each holds a claude process. Run on every heartbeat.
   */
  async endSessionsOfEndedTasks(): Promise<void> {
    if (this.live.size === 0) return;
    const orphans = await sessionsOfEndedTasks(this.deps.db, [...this.live.keys()]);
    await Promise.all(
      orphans.map(({ id, taskId, status }) =>
        this.end(id, async () => this.record(id, 'exited', null, { reason: `the task that started it (${taskId}) ended (${status})` })),
      ),
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

  /** The worker's side of every command in `workerCommands` (`@mission/contracts`); their arguments arrive checked. */
  private handlers(): CommandHandlers {
    return {
      send: this.command((session, args) => session.send(args.text, args.timeoutMs)),
      confirm: this.command((session, args) => session.confirm({ choice: args.choice, reason: args.reason, by: args.by }, args.timeoutMs)),
      answer: this.command((session, args) =>
        session.answer(args.text === undefined ? { option: args.option } : { text: args.text }, args.timeoutMs),
      ),
      interrupt: this.command(async (session, { sessionId }) => {
        try {
          return await session.interrupt();
        } finally {
          // An interrupt closes the dialog an approval held: nothing is left to approve.
          await this.deps.approvals.expirePending({ kind: 'session', id: sessionId }, 'the session was interrupted', 'interrupt');
        }
      }),
      screen: this.command((session) => session.screen()),
      serialize: this.command((session) => session.pty.serialize()),
      kill: this.command((session) => session.kill()),
      'cc.sessions': async () => this.claudeRecords.scan(await claudeHomes(this.deps.db, this.deps.launcher.homes), this.deps.workerId),
      // Answers at once: the delivery goes on (and the send API nudges, it does not wait).
      deliver_messages: this.command((session) => (void this.messages.deliver(session), null)),
    };
  }

  /**
   * A command on one session; it answers once the events of what it did are stored, so callers read them after — a
   * command that fails too (its `error` event, the state it left the session in).
   */
  private command<A extends { sessionId: string }, R>(
    run: (session: InteractiveSession, args: A) => R | Promise<R>,
  ): (args: A) => Promise<R> {
    return async (args) => {
      const session = this.session(args.sessionId);
      try {
        return await run(session, args);
      } finally {
        await session.flushed();
      }
    };
  }

  private session(id: string): InteractiveSession {
    const entry = this.live.get(id);
    if (!entry) throw new ConflictError(`session ${id} is not running on worker ${this.deps.workerId} any more`);
    return entry.session;
  }

  /**
   * A spawn job, unless this worker is full (sessions live plus spawns under way): then the job goes back
   * to the queue for a worker with room.
   */
  private async take(job: Job<SpawnJobData>, token: string | undefined): Promise<void> {
    if (this.live.size + this.taking >= this.deps.maxSessions) {
      await job.moveToDelayed(Date.now() + FULL_RETRY_MS, token);
      throw new DelayedError();
    }
    this.taking += 1;
    try {
      await this.spawn(job.data);
    } finally {
      this.taking -= 1;
    }
  }

  /**
   * Follows the Claude Code session a session's CLI runs in, from the `session_id` of its hook calls (`started`: the
   * one it was started in): each new one is recorded on the session's row, in order, so that a resume resumes the
   * conversation the CLI was in (after `/clear` it goes on in a new one). Recorded in the background: the hook's
   * answer does not wait for it.
   */
  private conversationFollower(sessionId: string, started: string, log: Logger): (claudeSessionId: string) => void {
    let current = started;
    let recorded = Promise.resolve();
    return (claudeSessionId) => {
      if (claudeSessionId === current) return;
      current = claudeSessionId;
      recorded = recorded
        .then(async () => {
          if (await this.store.recordClaudeSession(sessionId, this.deps.workerId, claudeSessionId))
            log.info({ claudeSessionId }, 'the CLI went on in another Claude Code session: a resume resumes that one');
        })
        .catch((error: unknown) =>
          log.warn({ err: error, claudeSessionId }, 'could not record the Claude Code session the CLI went on in'),
        );
    };
  }

  /**
   * Takes a session: starts claude in a PTY (with `--resume` when a lost session is resumed), claims the
   * row (which tells the API who owns it, so the session must already answer commands), and wires
   * events, state and attach channels.
   */
  private async spawn({ sessionId, resume, continueTurn, limitTurnOpen }: SpawnJobData): Promise<void> {
    const owner: EventOwner = { kind: 'session', id: sessionId };
    const row = await unclaimedSession(this.deps.db, sessionId);
    if (!row) throw new NotFoundError('session', sessionId);
    const log = this.deps.logger.child({ sessionId });
    const runnable = await loadRunnableSlot(this.deps.db, row.slot);
    if ('problem' in runnable) return this.spawnFailed(sessionId, runnable.problem);
    const { slot, role } = runnable;
    if (resume && !row.claudeSessionId) throw new ConflictError(`session ${sessionId} has no Claude Code session id to resume`);
    const place = await this.workspaces.prepare(slot, sessionId);
    if ('problem' in place) return this.spawnFailed(sessionId, place.problem);
    const { rules } = role;
    const mission = combineLaunches([
      await childMcpLaunch(
        this.deps.db,
        { kind: 'session', id: sessionId, role: slot.role, missionTools: rules.missionTools },
        this.deps.apiUrl,
        { refusalsToo: row.parentId !== null },
      ),
    ]);
    const launch = {
      cwd: place.cwd,
      cwdMadeForAgent: place.workspace !== null,
      slot: slot.id,
      slotEnv: slot.env,
      launchEnv: { ...mission.env, ...CLAUDE_QUIET_ENV, ...CLAUDE_SCREEN_ENV },
      terminal: true,
    };
    const claudeEnv = this.deps.launcher.environment(launch);
    // Taken before the CLI starts: what its transcript holds then was the earlier CLI's, and was reported by it.
    const claudeFiles = claudeHomePaths(claudeEnv);
    const saved = resume
      ? await savedConversation(claudeFiles.projects, row.claudeSessionId!, await guardedOwner(claudeFiles.root).catch(ifMissing(null)))
      : null;
    // Nothing to resume here (a claude killed before it first saved, a transcript on another worker): a new one starts, and says so.
    const conversationLost = Boolean(resume) && !saved;
    // What its earlier claudes cost, as its last `usage` event told: a resumed claude's metrics count from zero.
    const spentBefore = resume ? await lastToldSpend(this.deps.events, sessionId) : null;
    const claudeSessionId = saved ? row.claudeSessionId! : randomUUID();
    // A turn its worker's loss stopped at a permission request goes on at the first idle: the CLI asks again.
    let turnToContinue = Boolean(saved && continueTurn);
    // The hooks driver: the CLI posts its hooks to this worker; the role's rules go in the same settings.
    // Asked anew at each spawn: a session resumed once claude's settings allow hooks again is followed by them again.
    const followedBy = await driverFor(row.requestedDriver as SessionDriver, claudeEnv, place.cwd);
    if ('problem' in followedBy) return this.spawnFailed(sessionId, followedBy.problem);
    const { driver, forbidden } = followedBy;
    const hooked = driver === 'hooks';
    const followConversation = this.conversationFollower(sessionId, claudeSessionId, log);
    // Its running cost comes from its claude's own metrics, unless the agent's environment sets up the CLI's telemetry itself.
    const ownTelemetry = ownTelemetrySetting(claudeEnv);
    const reportsCost = this.deps.costReportMs > 0 && !ownTelemetry;
    if (ownTelemetry)
      log.info(
        { variable: ownTelemetry },
        "the agent's environment sets up claude's telemetry: the session's cost is read as claude exits",
      );
    // Its route on the worker's hook endpoint: its hook calls (the hooks driver), its claude's metrics exports.
    const hookRoute = this.deps.hookServer.register(sessionId, {
      hook: hooked
        ? (input, withdrawn) => {
            followConversation(input.session_id);
            return (session as HookedSession).hook(input, withdrawn);
          }
        : undefined,
      spent: reportsCost ? (spend) => session.spent(spend) : undefined,
    });
    const cliSettings = {
      ...mission.settings,
      ...cliPermissionSettings(rules),
      ...(hooked ? hookSettings(hookRoute, this.deps.approvalTimeoutMs + HOOK_TIMEOUT_MARGIN_MS) : {}),
      // At a usage limit the CLI asks rather than waits on its own: Mission pauses the slot and resumes the turn (HookedSession.stopAtLimit).
      ...(hooked ? { autoContinueAtUsageLimit: false } : {}),
    };
    const request = {
      ...launch,
      launchEnv: {
        ...launch.launchEnv,
        ...(hooked ? hookEnv(hookRoute) : {}),
        ...(reportsCost ? sessionCostReportEnv(hookRoute, this.deps.costReportMs) : {}),
      },
      args: [
        ...CLAUDE_SCREEN_ARGS,
        // The role's rules, enforced by the CLI too (what it denies never reaches a dialog), and the hooks.
        ...settingsArgs(cliSettings),
        ...(saved ? ['--resume', claudeSessionId] : ['--session-id', claudeSessionId]),
        ...(slot.model ? ['--model', slot.model] : []),
        ...mission.args,
        ...slot.args,
      ],
    };
    // The CLI's home must let it start straight into its prompt; a session's worktree is trusted with its siblings.
    const homeProblem = await prepareClaudeHomeFor(claudeEnv, [
      slot.cwd,
      ...(place.workspace ? [path.dirname(place.workspace.path)] : []),
    ]).then(
      () => null,
      (error: Error) => `could not prepare Claude Code's home: ${error.message}`,
    );
    const agent = homeProblem
      ? { problem: homeProblem }
      : await this.deps.launcher.prepare(request).catch((error: Error) => ({ problem: `could not prepare the agent: ${error.message}` }));
    if ('problem' in agent) {
      hookRoute.unregister();
      return this.spawnFailed(sessionId, agent.problem);
    }
    // The session's events are stored only while it is this worker's (or not yet claimed) and not ended: a
    // worker the fleet declared lost, and whose session was resumed elsewhere, writes nothing into its log.
    const fence = this.store.fence(sessionId, this.deps.workerId);
    // Told before the CLI starts, so before anything it does.
    if (conversationLost)
      await this.deps.events.appendFenced(owner, [conversationNotFound(row.claudeSessionId!, this.deps.workerId)], fence);
    if (forbidden) {
      await this.deps.events.appendFenced(owner, [hooksForbiddenNotice(forbidden)], fence);
      log.warn({ forbidden }, "claude's settings forbid its hooks: the session is followed by its screen");
    }
    // Its transcripts, read by the worker (as root, when the agent runs as its own user: only the agent's own files).
    const transcripts = { folder: claudeFiles.projects, owner: await guardedOwner(claudeFiles.root) };
    // From its start to the session that answers its calls, nothing is waited for: its first call finds the session.
    const pty = new PtySession({ ...agent, spawner: this.deps.spawner, cols: row.cols, rows: row.rows });
    // Its hooks are taken from this claude only: not from a command it runs with the secret it inherits.
    hookRoute.caller.calledFrom(pty.started);
    hookRoute.caller.onForeignCall(() =>
      this.deps.events
        .appendFenced(owner, [foreignCallNotice('hooks')], fence)
        .catch((error: unknown) => log.error({ err: error }, 'could not record the refused hook call in the session log')),
    );
    // What the role's rules are read against: the folder claude runs in (the session's worktree, when it has one),
    // and `~` is the agent's HOME, not the worker's.
    const places = agentPlaces(agent.env);
    const guardSlot = { ...slot, cwd: place.cwd, ...places };
    const channel = channels(this.deps.queuePrefix);
    const gate = new BashModeGate({
      db: this.deps.db,
      events: this.deps.events,
      logger: log,
      owner,
      slot: { role: slot.role, cwd: place.cwd },
      places,
      promptTakesInput: (): boolean => session.state === 'idle' || session.state === 'working',
      refuseAttach: (client, message) =>
        void this.deps.connection.publish(channel.ptyRefused(sessionId), JSON.stringify({ client, message })),
    });
    pty.onInput((_, origin) => {
      if (origin === 'mission') gate.missionTyped();
    });
    void pty.exited.then(() => hookRoute.unregister());
    // Aborted when the session ends here: an approval its dialog or hook still waits for expires at once.
    const ended = new AbortController();
    let startDeadline: NodeJS.Timeout | undefined;
    const takenFromHere = () => {
      if (!this.live.has(sessionId)) return;
      log.warn("the session is no longer this worker's (the fleet declared the worker lost): stopping it here, its event not stored");
      void this.end(sessionId, async () => {
        // nothing to record: the session is another worker's now
      }).catch((error: unknown) => log.error({ err: error }, 'could not stop a session taken from this worker'));
    };
    /** The running cost the newest `usage` of stored events tells goes on the session's row. */
    const recordCost = async (drafts: MissionEventDraft[]) => {
      const usage = drafts.findLast((draft) => draft.type === 'usage');
      if (usage?.type === 'usage') await recordSessionCost(this.store, sessionId, usage.payload);
    };
    const emit = async (drafts: MissionEventDraft[]) => {
      const stored = await this.deps.events.appendFenced(owner, drafts, fence);
      if (!stored) return takenFromHere();
      await recordCost(drafts);
    };
    const decideApproval = async (approvalId: string, { choice, reason, by }: Confirmation) => {
      await this.deps.approvals.decide(approvalId, choice === 'no' ? 'denied' : 'approved', by, reason);
    };
    const checkText = (text: string): Promise<void> => gate.checkText(text);
    const stateChanged = async (
      told: StateTold,
      exit: PtyExit | null,
      blocking: BlockingDialog | null = null,
      endReason?: string,
      before: MissionEventDraft[] = [],
    ) => {
      clearTimeout(startDeadline);
      const { state, ...details } = told;
      // The events before a change are stored with the row's change, or on their own where there is none.
      if ((!this.live.has(sessionId) || state === 'exited' || state === 'lost') && before.length > 0) await emit(before);
      // A session no longer in `live` was ended on purpose (shutdown, lost, taken by another worker): recorded there.
      if (!this.live.has(sessionId)) return;
      if (state === 'exited') {
        this.forget(sessionId);
        await this.record(sessionId, 'exited', exit ?? null, { told: details, endReason });
        log.info({ exitCode: exit?.exitCode, signal: exit?.signal }, 'session exited');
      } else if (state !== 'lost') {
        if (!(await this.store.changeState(sessionId, this.deps.workerId, state, details, blocking, before))) return takenFromHere();
        await recordCost(before);
        if (state === 'idle' && turnToContinue) {
          turnToContinue = false;
          void this.continueLostTurn(session, log);
        } else if (state === 'idle') void this.messages.deliver(session);
      }
    };
    /** Resolves true once the slot takes work again after its usage limit (false if the session ended first). */
    const slotTakesWorkAgain = () =>
      slotResumed({ db: this.deps.db, pauses: this.pauses, pollMs: this.deps.slotPausePollMs, log }, slot.id, ended.signal);
    const session: InteractiveSession = hooked
      ? new HookedSession(
          sessionId,
          pty,
          place.cwd,
          transcripts,
          {
            emit,
            log,
            stateChanged,
            decideApproval,
            checkText,
            refusal: (use) => this.deps.guard.refusal({ owner, slot: guardSlot, use }),
            askWindowMs: this.deps.approvalTimeoutMs,
            // The session's end expires what it held itself (`session_exited`): only a withdrawn request ends it sooner.
            guard: (use, pending, withdrawn, subagent) =>
              this.deps.guard.check({ owner, slot: guardSlot, use, subagent, onApprovalPending: pending, signal: withdrawn }),
            withdrawApproval: async (approvalId) => {
              await this.deps.approvals.expire(approvalId, 'interrupt', 'the session was interrupted');
            },
            limitReached: async (hit) => {
              const pause = await this.pauses.pause(slot.id, limitPauseUntil(hit.resetsAt, Date.now()), hit.text, owner);
              log.info(
                { slot: slot.id, until: pause.pausedUntil.toISOString() },
                'usage limit: slot paused, the session waits for the reset',
              );
              return { until: pause.pausedUntil, resumed: slotTakesWorkAgain() };
            },
            limitWaited: async () => {
              const pause = await activeSlotPause(this.deps.db, slot.id);
              log.info(
                { slot: slot.id, until: pause?.pausedUntil.toISOString() ?? null },
                'resumed at a usage limit: the session waits for the slot',
              );
              return {
                text: pause?.reason ?? "the slot's usage limit (its pause is over)",
                until: pause?.pausedUntil ?? new Date(),
                resumed: slotTakesWorkAgain(),
              };
            },
          },
          resume
            ? {
                transcriptSizes: saved ?? new Map(),
                // Lost while it waited for the slot's usage limit: it waits again here (HookedSession.waitAgainAtLimit).
                atLimit: limitTurnOpen !== undefined ? { turnOpen: limitTurnOpen } : null,
                spentBefore,
              }
            : null,
        )
      : new LiveSession(
          sessionId,
          pty,
          {
            emit,
            log,
            stateChanged,
            decideApproval,
            checkText,
            guardDialog: async (dialog, pending) => {
              const answer = await this.deps.guard.check({
                owner,
                slot: guardSlot,
                use: dialogToolUse(dialog),
                onApprovalPending: pending,
                signal: ended.signal,
              });
              return { choice: answer.decision === 'allow' ? 'yes' : 'no', reason: answer.reason };
            },
            costAtExit: () => savedCost(claudeFiles, claudeSessionId),
          },
          spentBefore,
        );
    const stopRelay = pty.onOutput((data) => void this.deps.connection.publish(channel.ptyOutput(sessionId), data));
    const stopInput = await this.deps.subscriber.subscribe(channel.ptyInput(sessionId), (message) =>
      this.attachInput(session, gate, message),
    );
    this.live.set(sessionId, { session, detach: () => (stopRelay(), stopInput()), ended });
    this.updateCapacity();

    const claim = {
      claudeSessionId,
      driver,
      workspaceBranch: place.workspace?.branch ?? null,
      workspacePath: place.workspace?.path ?? null,
    };
    if (!(await this.store.claim(sessionId, this.deps.workerId, claim, resume ? `resumed on worker ${this.deps.workerId}` : undefined))) {
      this.forget(sessionId);
      await pty.kill();
      await this.workspaces.release(sessionId);
      log.warn('another worker took the session first');
      return;
    }
    startDeadline = setTimeout(
      () =>
        void this.startTimedOut(sessionId).catch((error: unknown) =>
          log.error({ err: error }, 'could not end a session that did not start'),
        ),
      this.deps.startTimeoutMs,
    );
    ended.signal.addEventListener('abort', () => clearTimeout(startDeadline), { once: true });
    log.info({ pid: await pty.started, slot: slot.id, resume: Boolean(resume), conversationLost, driver }, 'session started');
  }

  /**
   * Goes on with the turn a loss stopped at a permission request (that tool never ran), with one prompt: the
   * resumed CLI does not ask again by itself. Its permission request comes again, and with it a new approval.
   */
  private async continueLostTurn(session: InteractiveSession, log: Logger): Promise<void> {
    log.info('resumed after a loss at a permission request: its turn goes on');
    try {
      await session.send(CONTINUE_AFTER_LOSS_PROMPT, CONTINUE_TURN_TIMEOUT_MS);
    } catch (error) {
      log.warn({ err: error }, 'could not go on with the turn the loss stopped: the session waits at its prompt');
    }
  }

  /** A session still `starting` at its deadline (claude never came up): it ends, with the reason as an error event. */
  private async startTimedOut(sessionId: string): Promise<void> {
    if (!this.live.has(sessionId)) return;
    if ((await sessionStateOn(this.deps.db, sessionId, this.deps.workerId)) !== 'starting') return;
    const problem = `claude did not start within ${this.deps.startTimeoutMs} ms (MISSION_SESSION_START_TIMEOUT_MS); the session was ended`;
    this.deps.logger.warn({ sessionId }, problem);
    await this.end(sessionId, async () => {
      await this.deps.events.append(
        { kind: 'session', id: sessionId },
        { type: 'error', payload: { code: 'start_timeout', message: problem } },
      );
      await this.record(sessionId, 'exited', null, { reason: problem });
    });
  }

  /** The session cannot start here (its slot or workspace is unusable): it ends at once, with the reason as an error event. */
  private async spawnFailed(sessionId: string, problem: string): Promise<void> {
    await this.deps.events.append(
      { kind: 'session', id: sessionId },
      { type: 'error', payload: { code: 'spawn_failed', message: problem } },
    );
    await this.record(sessionId, 'exited', null, { reason: problem });
  }

  /** A frame of an attached terminal (`client` names the socket, to tell it of a refusal). */
  private attachInput(session: InteractiveSession, gate: BashModeGate, message: string): void {
    let input: AttachInput & { client?: unknown };
    try {
      const frame = JSON.parse(message) as { client?: unknown };
      input = { ...attachInputSchema.parse(frame), client: frame.client };
    } catch {
      // The API publishes only input and resize frames: anything else on the channel is not typed.
      this.deps.logger.debug({ sessionId: session.id }, 'attach: ignored a frame that is not input or resize');
      return;
    }
    if (input.type === 'input')
      gate.attach(input.data, typeof input.client === 'string' ? input.client : undefined, (data) => session.pty.write(data, 'attach'));
    else session.pty.resize(input.cols, input.rows);
  }

  private forget(sessionId: string): void {
    const entry = this.live.get(sessionId);
    if (!entry) return;
    entry.detach();
    entry.ended.abort('the session ended before anyone decided');
    entry.session.pty.dispose();
    this.live.delete(sessionId);
    this.updateCapacity();
  }

  /** Takes spawn jobs only while there is room for another session. */
  private updateCapacity(): void {
    const full = this.live.size >= this.deps.maxSessions;
    if (full && !this.spawnWorker.isPaused())
      this.spawnWorker
        .pause(true)
        .catch((error: unknown) =>
          this.deps.logger.warn(
            { err: error },
            'could not stop taking spawn jobs while full (a job taken while full goes back to the queue)',
          ),
        );
    if (!full && this.spawnWorker.isPaused()) this.spawnWorker.resume();
  }

  /**
   * Records that a session ended, with its `state` event: `reason` says why when this host ended it;
   * `told` is the session's own account when it exited (its state event), and `endReason` why it did.
   */
  private async record(
    sessionId: string,
    state: EndedSessionState,
    exit: PtyExit | null,
    how: { reason: string } | { told: StateDetails; endReason?: string },
  ): Promise<void> {
    // Not a session the fleet has ended already (this worker declared lost) or given to another worker.
    if (!(await this.store.isHere(sessionId, this.deps.workerId))) return;
    const exitCode = exit?.exitCode ?? null;
    const exitSignal = exit?.signal ?? null;
    const reason = 'reason' in how ? how.reason : undefined;
    const why = reason ?? ('endReason' in how ? how.endReason : undefined);
    const told =
      'told' in how
        ? how.told
        : { reason, exitCode, ...(exitSignal ? { signal: exitSignal } : {}), ...(state === 'lost' ? { resumable: true } : {}) };
    // Its claude is gone, and with it every dialog an approval held (expired before the state says ended).
    await this.deps.approvals.expirePending({ kind: 'session', id: sessionId }, reason ?? `the session ${state}`, `session_${state}`);
    if (!(await this.store.end(sessionId, this.deps.workerId, { state, exitCode, exitSignal, reason: why ?? null }, told))) return;
    await this.workspaces.release(sessionId);
    await revokeAgentTokens(this.deps.db, [sessionId]);
    await this.deps.events.announceRevokedTokens({ owners: [sessionId] });
  }
}
