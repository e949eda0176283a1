import {
  BadRequestError,
  type DialogReply,
  ConflictError,
  type MissionEventDraft,
  offeredOptions,
  type SessionScreen,
  type SessionState,
  type PendingApproval,
  type SessionTurn,
  shownDialog,
  TimeoutError,
} from '@mission/contracts';
import type { PtyExit, PtySession } from '../pty/ptySession.ts';
import { exitedState, exitReason, sessionEndReason } from './exitReason.ts';
import { type BlockingDialog, sameBlockingDialog } from '../pty/blockingDialog.ts';
import { failedRequestMessage, failedRequestReport } from '../pty/failedRequest.ts';
import { LiveScreen } from '../pty/liveScreen.ts';
import type { PermissionDialog, SessionSnapshot } from '../pty/screen.ts';
import { ANIMATION_READ_MS, type ReadTiming } from '../pty/readPacer.ts';
import { ReadSchedule } from '../pty/readSchedule.ts';
import { refusalMessage } from '../permissions/permissionGuard.ts';
import {
  answerDialog,
  blockedError,
  type Confirmation,
  dialogTakesKeys,
  EVENT_NOT_STORED,
  inInputBox,
  type InteractiveSession,
  STATE_NOT_RECORDED,
  type StateTold,
  waitingPermissionError,
} from './interactive.ts';
import { callerError, type Logger } from '@mission/store';
import { commandReply, optionFor, toTurn, turnFailedError, TurnWatch } from './turn.ts';
import type { CliSpend } from '../hooks/cliSpend.ts';
import { RunningSpend } from '../runningSpend.ts';

/** Re-read the screen this long after the last output, and at least this often while output keeps coming. */
export const SCREEN_SETTLE_MS = 15;
const MAX_STALE_MS = 100;
/**
 * Output that only wrote the transcript above the input box is read at most this often: its blocks become
 * events a little later, while the state (the box's footer, a dialog) is read as soon as it settles.
 */
const TRANSCRIPT_READ_MS = 250;
/** When the screen driver reads the screen after output. */
export const SCREEN_READ_TIMING: ReadTiming = {
  settleMs: SCREEN_SETTLE_MS,
  maxStaleMs: MAX_STALE_MS,
  animationMs: ANIMATION_READ_MS,
  transcriptMs: TRANSCRIPT_READ_MS,
};
/** Pause between typing text and pressing Enter, so the CLI takes the Enter as a submit. */
const SUBMIT_DELAY_MS = 50;
const INTERRUPT_WAIT_MS = 5_000;
/** After a dialog is answered, the prompt must stay this long to count as the end of the turn. */
const IDLE_STEADY_MS = 250;
/** How long the guard follows the turn after it answered a dialog (and Claude's reply to a reason it typed). */
const GUARDED_TURN_MS = 120_000;
const ESC = '\x1b';
const CTRL_C = '\x03';

export interface LiveSessionHooks {
  /** Stores and publishes events of this session, in order, in one write (called one at a time). */
  emit(drafts: MissionEventDraft[]): Promise<void>;
  /** The session's log: where a failure of `emit` or `stateChanged` (run in the background) is told. */
  log: Logger;
  /**
   * The session's state changed, as `told` (to record on the session row with its `state` event); `blocking`: the
   * dialog that blocks it, with `blocked`; `endReason`: with `exited`, why (the session's exitReason).
   */
  stateChanged(told: StateTold, exit: PtyExit | null, blocking: BlockingDialog | null, endReason?: string): Promise<void>;
  /**
   * A permission dialog opened: resolves with how to answer it. When a person must decide first,
   * `pending` is told of the approval it waits for.
   */
  guardDialog(dialog: PermissionDialog, pending: (approval: PendingApproval) => void): Promise<DialogAnswer>;
  /** A `confirm` command answered a dialog that waits for an approval: decide the approval. */
  decideApproval(approvalId: string, confirmation: Confirmation): Promise<void>;
  /** Before text is typed for a send: rejects when it may not be (text that opens `!` bash mode). */
  checkText(text: string): Promise<void>;
  /** What the session cost as its claude wrote it exiting (its transcript's last `cost-state`), read once it exited. */
  costAtExit(): Promise<CliSpend | null>;
}

/** How the guard answers a dialog; a `reason` is typed for Claude after a no. */
export interface DialogAnswer {
  choice: 'yes' | 'no';
  reason?: string;
}

/** The dialog being answered by the guard: busy while it decides or answers, idle while a person must decide. */
interface Guard {
  dialog: PermissionDialog;
  /** When the dialog was first seen (the CLI takes no key for it before DIALOG_KEY_GUARD_MS). */
  shownSince: number;
  approval: PendingApproval | null;
  answering: boolean;
  settled: boolean;
}

type Waiter = { test: (snapshot: SessionSnapshot) => boolean; resolve: (snapshot: SessionSnapshot | undefined) => void };

/**
 * A Claude Code session in a PTY, read as snapshots: after output settles the screen is parsed, the
 * differences become events, and waiting commands (send, confirm, answer, interrupt) are woken. A dialog that is
 * no permission dialog (a project's MCP servers, a screen a slash command opened) blocks the session: nothing is
 * typed into it until it is answered or closed.
 */
export class LiveSession implements InteractiveSession {
  readonly driver = 'screen' as const;
  /** The screen as of the last read: its snapshot, the dialog that blocks the session, the events of each read. */
  private readonly live: LiveScreen;
  /** When the blocking dialog showing was first seen (the CLI takes no key for it before DIALOG_KEY_GUARD_MS). */
  private blockingSince = 0;
  private exit: PtyExit | null = null;
  /** Why claude exited, when it ended on its own with an error. */
  private exitReason: string | undefined;
  /** Mission ended it (kill): its exit code (e.g. 143 after SIGTERM) is no error to explain. */
  private killed = false;
  private readonly waiters = new Set<Waiter>();
  /** Reads the screen once output settled; ticks of the spinner, and new blocks of the transcript, less often. */
  private readonly reads: ReadSchedule;
  private emitting: Promise<void> = Promise.resolve();
  private bracketedPaste = false;
  private guard: Guard | null = null;
  /** The session's cost so far, told as `usage` events. */
  private readonly spend: RunningSpend;

  constructor(
    readonly id: string,
    readonly pty: PtySession,
    private readonly hooks: LiveSessionHooks,
    /** What its earlier claudes cost, when this CLI resumed the session (its metrics count from zero). */
    spentBefore: CliSpend | null = null,
  ) {
    this.live = new LiveScreen(pty);
    this.spend = new RunningSpend(spentBefore, (report) => this.enqueue({ type: 'usage', payload: report }));
    this.reads = new ReadSchedule({
      timing: SCREEN_READ_TIMING,
      written: () => this.live.written(),
      read: () => this.read(),
    });
    pty.onOutput((data) => this.noteModes(data));
    pty.onRender(() => this.reads.rendered());
    void pty.exited.then((exit) => this.exited(exit));
  }

  get state(): SessionState {
    return this.exit ? 'exited' : this.live.state;
  }

  /** The snapshot of the last read. */
  private get snapshot(): SessionSnapshot {
    return this.live.snapshot;
  }

  /** The dialog that blocks the session as of the last read (a permission dialog never does). */
  private get blocking(): BlockingDialog | null {
    return this.live.blocking;
  }

  /** Types the text, submits it, and waits for the reply, a permission dialog, or a dialog that blocks the session. */
  async send(text: string, timeoutMs: number): Promise<SessionTurn> {
    const deadline = Date.now() + timeoutMs;
    const ready = await this.waitFor((s) => s.state !== 'starting' || this.blocking !== null, timeoutMs, 'the session to start');
    if (this.blocking) throw blockedError(this.blocking);
    if (ready.state === 'waiting_permission') {
      throw waitingPermissionError(ready.dialog, this.guard?.approval ?? null);
    }
    if (ready.state === 'working') throw new ConflictError('the session is still working on the previous message: wait, or interrupt it');
    await this.hooks.checkText(text);
    const command = text.trimStart().startsWith('/') ? text.trim() : null;
    const watch = new TurnWatch(ready.lastResponse, command, ready.blocks);
    await this.type(text);
    // A command's turn has not begun while the CLI still shows it typed (its menu of commands open above the box).
    const taken = () => command === null || !inInputBox(this.pty.screen().lines, command);
    const ended = this.waitFor(
      (s) => (watch.ended(s) && !this.guardBusy() && taken()) || this.blocking !== null,
      deadline - Date.now(),
      'the reply',
    );
    // Text like `/exit` ends the CLI: that is the reply.
    return ended.then(
      (s) => {
        const turn = this.turn(s);
        // A slash command's reply is what it printed, never an earlier turn's reply still on the screen above it.
        const printed = command !== null && turn.state === 'idle' ? commandReply(s.blocks, command) : null;
        return this.unlessFailed(printed === null ? turn : { ...turn, response: printed });
      },
      (error: unknown) =>
        this.exit ? { state: 'exited', response: this.snapshot.lastResponse, dialog: null, approval: null } : Promise.reject(error),
    );
  }

  /** Types text as one paste (where the CLI takes bracketed paste) and submits it. */
  private async type(text: string): Promise<void> {
    this.pty.write(this.bracketedPaste ? `\x1b[200~${text}\x1b[201~` : text);
    await delay(SUBMIT_DELAY_MS);
    this.pty.write('\r');
  }

  /** Answers the open permission dialog with the option meaning `choice`, then waits for the turn to go on to its end. */
  async confirm(confirmation: Confirmation, timeoutMs: number): Promise<SessionTurn> {
    const { dialog } = this.current();
    if (!dialog) throw new ConflictError(`no permission dialog is open (the session is ${this.state})`);
    const { choice, reason } = confirmation;
    const option = optionFor(dialog, choice);
    if (!option) {
      throw new BadRequestError(`the ${dialog.tool} dialog has no '${choice}' option; it offers ${offeredOptions(dialog.options)}`);
    }
    const deadline = Date.now() + timeoutMs;
    const guard = this.guard;
    // A dialog held for an approval is answered by deciding the approval: the guard then presses the key (and types the reason).
    if (guard?.approval && !guard.settled && sameDialog(this.snapshot, guard.dialog)) {
      await this.hooks.decideApproval(guard.approval.id, confirmation);
      return this.unlessFailed(await this.turnAfterDialog(dialog, deadline));
    }
    await this.answerDialog(dialog, option.key, guard && sameDialog(this.snapshot, guard.dialog) ? guard.shownSince : Date.now());
    const end = await this.turnAfterDialog(dialog, deadline);
    return this.unlessFailed(reason ? await this.tellRefusal(end, refusalMessage(confirmation.by, reason), deadline - Date.now()) : end);
  }

  /**
   * Presses a dialog's option key once, no sooner than DIALOG_KEY_GUARD_MS after the dialog was first seen (`shownSince`:
   * the CLI does not take a key read sooner as the answer), and waits for the screen to show the dialog gone.
   */
  private async answerDialog(dialog: PermissionDialog, key: string, shownSince: number): Promise<void> {
    const closed = (s: SessionSnapshot) => s.state !== 'waiting_permission' || !sameDialog(s, dialog);
    await dialogTakesKeys(shownSince);
    this.pty.write(key);
    await this.waitFor(closed, INTERRUPT_WAIT_MS, 'the dialog to close');
  }

  /** Answers the dialog that blocks the session: its key pressed once, confirmed by the screen. */
  async answer(reply: DialogReply, timeoutMs: number): Promise<SessionTurn> {
    const deadline = Date.now() + timeoutMs;
    // A frame being drawn shows part of a dialog: the answer is read off the whole one.
    await this.waitFor(() => !this.pty.drawing, timeoutMs, 'the CLI to finish drawing its screen');
    this.read();
    const dialog = this.blocking;
    if (!dialog) throw new ConflictError(`no dialog is waiting for an answer (the session is ${this.state})`);
    await answerDialog(
      {
        pty: this.pty,
        current: () => this.blocking,
        shownSince: () => this.blockingSince,
        state: () => this.state,
        until: (test, ms, what) => this.waitFor(test, ms, what),
      },
      dialog,
      reply,
      deadline - Date.now(),
    );
    return this.unlessFailed(this.turn(this.current()));
  }

  /**
   * Claude was mid-turn: once the dialog is gone, the turn ends at the next prompt (or dialog). The
   * prompt can flash up for a frame between a dialog and the work it allowed, so it must stay.
   */
  private async turnAfterDialog(dialog: PermissionDialog, deadline: number, own: Guard | null = null): Promise<SessionTurn> {
    const over = (s: SessionSnapshot) =>
      (s.state !== 'waiting_permission' || !sameDialog(s, dialog)) && s.state !== 'working' && !this.guardBusy(own);
    for (;;) {
      const end = await this.waitFor(over, deadline - Date.now(), 'the turn to end');
      if (end.state !== 'idle') return this.turn(end);
      await delay(IDLE_STEADY_MS);
      if (over(this.current()) && this.snapshot.state === 'idle') return this.turn(this.snapshot);
    }
  }

  /**
   * Lets the guard answer a dialog that just opened: by policy at once, or after an approval. A no
   * with a reason is followed by the reason, typed for Claude, and that turn is part of the answer.
   */
  private startGuard(dialog: PermissionDialog): void {
    const guard: Guard = { dialog, shownSince: Date.now(), approval: null, answering: false, settled: false };
    this.guard = guard;
    this.hooks
      .guardDialog(dialog, (approval) => {
        guard.approval = approval;
        this.wake();
      })
      .then(async (answer) => {
        // The dialog went without an answer from here (an interrupt, which also expired its approval): nothing to press or tell.
        if (!sameDialog(this.current(), dialog)) return;
        guard.answering = true;
        const option = optionFor(dialog, answer.choice);
        if (!option) throw new ConflictError(`the ${dialog.tool} dialog has no '${answer.choice}' option`);
        await this.answerDialog(dialog, option.key, guard.shownSince);
        // The turn goes on: the guard stays busy until it ends, so a waiting send does not end at a prompt
        // that only flashes up between the dialog and the work it allowed.
        const end = await this.turnAfterDialog(dialog, Date.now() + GUARDED_TURN_MS, guard);
        if (answer.choice === 'no' && answer.reason) await this.tellRefusal(end, answer.reason, GUARDED_TURN_MS);
      })
      .catch((error: unknown) => {
        this.hooks.log.error({ err: error, tool: dialog.tool }, 'the permission guard failed on a dialog');
        // The session's readers are told in Mission's words; the cause (a store's error, say) stays in the log.
        const message = callerError(error)?.message ?? `Mission could not answer the ${dialog.tool} dialog: the worker's log says why`;
        if (!this.exit) this.enqueue({ type: 'error', payload: { code: 'permission_guard', message } });
      })
      .finally(() => {
        guard.settled = true;
        this.wake();
      });
  }

  /**
   * After a no, the CLI's dialog has no field for why (its own "tell Claude what to do differently" is typed at the
   * prompt): the reason is typed for Claude once the refused turn is back at the prompt, and its reply is the answer.
   */
  private async tellRefusal(end: SessionTurn, reason: string, timeoutMs: number): Promise<SessionTurn> {
    if (end.state !== 'idle') return end;
    const watch = new TurnWatch(end.response);
    await this.type(reason);
    return this.turn(await this.waitFor((s) => watch.ended(s), timeoutMs, 'the reply to the reason'));
  }

  /** The guard is deciding or answering a dialog (not waiting for a person): a turn goes on meanwhile. */
  private guardBusy(except: Guard | null = null): boolean {
    const guard = this.guard;
    return guard !== null && guard !== except && !guard.settled && (guard.approval === null || guard.answering);
  }

  private turn(snapshot: SessionSnapshot): SessionTurn {
    const guard = this.guard;
    const waiting = snapshot.state === 'waiting_permission' && guard?.approval && !guard.settled && sameDialog(snapshot, guard.dialog);
    const turn = toTurn(snapshot, waiting ? { id: guard.approval!.id, expiresAt: guard.approval!.expiresAt } : null);
    const blocking = this.blocking;
    if (!blocking) return turn;
    // A screen a slash command opened in place of the prompt is what the command did: its text is the reply.
    return {
      ...turn,
      state: 'blocked',
      response: blocking.kind === 'command_screen' ? blocking.text : turn.response,
      blocking: shownDialog(blocking),
    };
  }

  /**
   * The turn a command waited for, unless it ended on a failed model request (the CLI's report of it drawn in Claude's
   * place, which the screen's events tell as a `turn_failed` error): then `turn_failed` (502) in the CLI's words, the
   * session back at its prompt.
   */
  private unlessFailed(turn: SessionTurn): SessionTurn {
    const report = turn.state === 'idle' ? failedRequestReport(turn.response) : null;
    if (report) throw turnFailedError(failedRequestMessage(report), turn.state);
    return turn;
  }

  /** Stops what Claude is doing (Esc; Ctrl+C if that was not enough) and waits for the prompt. */
  async interrupt(): Promise<SessionTurn> {
    if (this.current().state === 'idle') return this.turn(this.snapshot);
    this.pty.write(ESC);
    const idle = (s: SessionSnapshot) => s.state === 'idle';
    const settled = await this.waitFor(idle, INTERRUPT_WAIT_MS, 'the interrupt').catch(() => undefined);
    if (settled) return this.turn(settled);
    this.pty.write(CTRL_C);
    return this.turn(await this.waitFor(idle, INTERRUPT_WAIT_MS, 'the interrupt'));
  }

  screen(): SessionScreen {
    const screen = this.pty.screen();
    const snapshot = this.current();
    return {
      state: this.state,
      title: screen.title,
      lines: screen.lines,
      cursor: screen.cursor,
      dialog: snapshot.dialog,
      blocking: this.blocking,
      status: snapshot.status,
    };
  }

  async kill(): Promise<PtyExit> {
    this.killed = true;
    return this.pty.kill();
  }

  /** Resolves once every event so far is stored. */
  flushed(): Promise<void> {
    return this.emitting;
  }

  /** What its claude has cost so far, as its metrics export told (its last one comes as it exits, before its end is told). */
  spent(spend: CliSpend): void {
    if (!this.exit) this.spend.exported(spend);
  }

  /** The screen as it is now, read at once rather than after the next settle. */
  private current(): SessionSnapshot {
    this.read();
    return this.snapshot;
  }

  /** Resolves with the first snapshot that passes `test`; on timeout rejects (and, unless told not to, reports an error event). */
  private waitFor(
    test: (snapshot: SessionSnapshot) => boolean,
    timeoutMs: number,
    what: string,
    options = { report: true },
  ): Promise<SessionSnapshot> {
    const now = this.current();
    if (test(now)) return Promise.resolve(now);
    if (this.exit) return Promise.reject(this.exitedError());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.waiters.delete(waiter);
          const message = `timed out after ${timeoutMs} ms waiting for ${what} (the session is ${this.state})`;
          if (options.report) this.enqueue({ type: 'error', payload: { code: 'timeout', message } });
          reject(new TimeoutError(message, { state: this.state }));
        },
        Math.max(0, timeoutMs),
      );
      const waiter: Waiter = {
        test,
        resolve: (snapshot) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          if (snapshot) resolve(snapshot);
          else reject(this.exitedError());
        },
      };
      this.waiters.add(waiter);
    });
  }

  private exitedError(): ConflictError {
    const how = this.exit?.signal ? `was killed by ${this.exit.signal}` : `exited (code ${this.exit?.exitCode ?? 'unknown'})`;
    return new ConflictError(this.exitReason ?? `the claude process ${how}`, {
      state: 'exited',
      exitCode: this.exit?.exitCode ?? null,
      signal: this.exit?.signal ?? null,
    });
  }

  /** Parses the screen; the differences become events; waiters whose condition holds are woken. */
  private read(): void {
    this.reads.reading();
    if (this.exit) return;
    const shown = this.blocking;
    const events = this.live.read();
    const next = this.snapshot;
    if (this.blocking && !sameBlockingDialog(this.blocking, shown)) this.blockingSince = Date.now();
    // The state event is stored with the row's change, in the order the screen told it.
    for (const event of events) {
      if (event.type === 'state') this.enqueueStateChange({ ...event.payload, state: this.live.state }, null, this.blocking);
      else this.enqueue(event);
    }
    if (!next.dialog && this.guard?.settled) this.guard = null;
    if (next.state === 'waiting_permission' && next.dialog && (!this.guard || !sameDialog(next, this.guard.dialog)))
      this.startGuard(next.dialog);
    this.wake();
  }

  /** Wakes the waiters whose condition holds now. */
  private wake(): void {
    for (const waiter of [...this.waiters]) if (waiter.test(this.snapshot)) waiter.resolve(this.snapshot);
  }

  private enqueue(event: MissionEventDraft): void {
    this.emitting = this.emitting
      .then(() => this.hooks.emit([event]))
      .catch((error: unknown) => this.hooks.log.error({ err: error, type: event.type }, EVENT_NOT_STORED));
  }

  private enqueueStateChange(told: StateTold, exit: PtyExit | null, blocking: BlockingDialog | null, endReason?: string): void {
    this.emitting = this.emitting
      .then(() => this.hooks.stateChanged(told, exit, blocking, endReason))
      .catch((error: unknown) => this.hooks.log.error({ err: error, state: told.state }, STATE_NOT_RECORDED));
  }

  private noteModes(data: string): void {
    if (data.includes('\x1b[?2004h')) this.bracketedPaste = true;
    if (data.includes('\x1b[?2004l')) this.bracketedPaste = false;
  }

  private exited(exit: PtyExit): void {
    this.read();
    this.exit = exit;
    this.exitReason = this.killed ? undefined : exitReason(exit, this.pty.screen().lines);
    const told = exitedState(exit, this.killed, this.exitReason);
    // Its cost as its claude wrote it exiting goes before its end: the only figure when its metrics are not reported.
    const cost = this.hooks.costAtExit().catch((error: unknown) => {
      this.hooks.log.warn({ err: error }, "could not read the session's cost from its transcript");
      return null;
    });
    this.emitting = this.emitting.then(async () => {
      const spent = await cost;
      if (spent) this.spend.total(spent.costUsd, spent.modelUsage);
      this.enqueueStateChange(told, exit, null, sessionEndReason(exit, this.killed, this.exitReason));
    });
    for (const waiter of [...this.waiters]) waiter.resolve(undefined);
  }
}

function sameDialog(snapshot: SessionSnapshot, dialog: NonNullable<SessionSnapshot['dialog']>): boolean {
  return snapshot.dialog?.tool === dialog.tool && snapshot.dialog.target === dialog.target;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
