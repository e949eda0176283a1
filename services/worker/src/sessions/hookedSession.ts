import {
  type Approval,
  type DialogReply,
  CONTINUE_AFTER_LIMIT_PROMPT,
  ConflictError,
  type MissionEventDraft,
  type PendingApproval,
  type SessionScreen,
  type SessionState,
  type SessionTurn,
  type Subagent,
  TimeoutError,
  type ToolUse,
  bashModeCommand,
  resetFromLimitText,
  shownDialog,
  questionsAsked,
} from '@mission/contracts';
import type { CliSpend } from '../hooks/cliSpend.ts';
import { type HookInput, type HookInputOf, NO_DECISION, permissionAnswer, preToolUseDenial, subagentOf } from '../hooks/hookPayloads.ts';
import { hookDialog, toolTarget } from '../hooks/toolUseView.ts';
import { taskNotificationSummary } from '../hooks/taskNotification.ts';
import type { GuardAnswer } from '../permissions/permissionGuard.ts';
import { type BlockingDialog, blockedReason, sameBlockingDialog } from '../pty/blockingDialog.ts';
import { failedRequestMessage } from '../pty/failedRequest.ts';
import { HookedScreen } from '../pty/hookedScreen.ts';
import type { PtyExit, PtySession } from '../pty/ptySession.ts';
import type { Logger } from '@mission/store';
import type { PermissionDialog, SessionSnapshot } from '../pty/screen.ts';
import type { ReadTiming } from '../pty/readPacer.ts';
import { parseScreen } from '../pty/screenParser.ts';
import { ReadSchedule } from '../pty/readSchedule.ts';
import { isBelow, NotOwnedError } from '../ownedFiles.ts';
import { SubagentTranscripts } from '../transcripts/subagentTranscripts.ts';
import { JsonlTail } from '../transcripts/transcriptTail.ts';
import { RunningSpend } from '../runningSpend.ts';
import { transcriptUpdates } from '../transcripts/transcriptContent.ts';
import { ClaudeQuestionAsk, HeldAsk } from '../claudeQuestions.ts';
import { mcpRequestAsk } from '../mcpInput.ts';
import { exitedState, exitReason, sessionEndReason } from './exitReason.ts';
import { turnFailedError } from './turn.ts';
import {
  answerDialog,
  blockedError,
  type Confirmation,
  type DialogAnswering,
  type InteractiveSession,
  SessionEvents,
  STATE_NOT_RECORDED,
  type StateTold,
  typePrompt,
  waitingPermissionError,
} from './interactive.ts';

const INTERRUPT_WAIT_MS = 5_000;
/**
 * A turn stopped at a permission request is reported once the CLI's dialog is on the screen (what a
 * person looking at it expects), or after this long without it (the hook alone is enough to decide it).
 */
const DIALOG_SHOWN_MS = 2_000;
/** How long Mission waits for the CLI's usage-limit menu to close once answered, and for its `continue` to be taken. */
const LIMIT_KEYS_MS = 10_000;
/** The usage-limit menu's answer Mission gives: the CLI stops the turn and waits at its prompt (Mission resumes it). */
const STOP_AND_WAIT = /^Stop and wait\b/;
/**
 * How long the limit's record is waited for in the transcript (the CLI writes it in batches, often after its
 * menu shows) before the reset is read off the menu's text, which names only the minute.
 */
const LIMIT_RECORD_WAIT_MS = 3_000;
const ESC = '\x1b';
const CTRL_C = '\x03';
/**
 * Output that only ticks the spinner, or only writes the transcript above the input box, is read at most this
 * often: with hooks, all such a read tells is the spinner's activity and token count (an event when they changed;
 * the turn's state comes from the hooks, its content from the transcript file).
 */
const HOOKED_STATUS_READ_MS = 1_000;
/**
 * The screen is read once its output has been rendered (the next tick batches a burst of writes); the spinner's
 * ticks and new blocks of the transcript less often.
 */
export const HOOKED_READ_TIMING: ReadTiming = {
  settleMs: 0,
  maxStaleMs: 0,
  animationMs: HOOKED_STATUS_READ_MS,
  transcriptMs: HOOKED_STATUS_READ_MS,
};

export interface HookedSessionHooks {
  /** Stores and publishes events of this session, in order, in one write (called one at a time). */
  emit(drafts: MissionEventDraft[]): Promise<void>;
  /** The session's log: where a failure of `emit` or `stateChanged` (run in the background) is told. */
  log: Logger;
  /**
   * The session's state changed, as `told` (to record on the session row with its `state` event), with the
   * dialog of a `blocked` one; a live state with `before`, events emitted before the change and not yet
   * stored, which it stores ahead of its `state` event.
   */
  stateChanged(
    told: StateTold,
    exit: PtyExit | null,
    blocking: BlockingDialog | null,
    endReason?: string,
    before?: MissionEventDraft[],
  ): Promise<void>;
  /** A role's deny rule for this use, checked on PreToolUse (before the CLI decides itself); null if none. */
  refusal(use: ToolUse): Promise<GuardAnswer | null>;
  /**
   * How long what the session asks its person (Claude's question, an MCP server's request for input) waits for an
   * answer before the CLI is told nobody answered.
   */
  askWindowMs: number;
  /** Decides a permission request by the role, waiting for an approval when a person must decide. */
  guard(use: ToolUse, pending: (approval: Approval) => void, withdrawn: AbortSignal, subagent?: Subagent): Promise<GuardAnswer>;
  /** A `confirm` decides the approval a permission request waits for. */
  decideApproval(approvalId: string, confirmation: Confirmation): Promise<void>;
  /** Expires a pending approval whose request is being withdrawn (an interrupt). */
  withdrawApproval(approvalId: string): Promise<void>;
  /** Refuses text Mission must not type (a `!` that would start bash mode where the role does not allow it). */
  checkText(text: string): Promise<void>;
  /**
   * Claude's usage limit stopped the session (`hit`: the CLI's words, and the reset it was told in seconds since
   * the epoch): its slot pauses until the reset. Resolves the pause's end, and `resumed`, which resolves true once
   * the slot takes work again (false if the session ended first).
   */
  limitReached(hit: UsageLimitHit): Promise<LimitWait>;
  /**
   * The usage limit its slot is paused for, waited for again by a session resumed after its worker's loss while it
   * waited for it: the pause's words and end (now, when the pause is over already), and `resumed` as above.
   */
  limitWaited(): Promise<LimitWait & { text: string }>;
}

/** What a session resumed by this CLI (`claude --resume`) brings with it. */
export interface ResumedSession {
  /** Its transcripts' sizes before this CLI started (transcriptSizes.ts): read from there on, not again from the start. */
  transcriptSizes: ReadonlyMap<string, number>;
  /** Lost while it waited for its slot's usage limit; `turnOpen`: the turn the limit stopped had not ended. */
  atLimit: { turnOpen: boolean } | null;
  /** What its earlier claudes cost, as the session's last `usage` event told (null if none did): this one's metrics count from zero. */
  spentBefore: CliSpend | null;
}

/** The end of a slot's pause, and `resumed`: true once the slot takes work again (false if the session ended first). */
export interface LimitWait {
  until: Date;
  resumed: Promise<boolean>;
}

/** A usage or rate limit the CLI hit: its words, and the reset (seconds since the epoch) when it was told one. */
export interface UsageLimitHit {
  text: string;
  resetsAt: number | null;
}

/** A PermissionRequest hook call being held until it is decided. */
interface HeldRequest {
  tool: string;
  input: Record<string, unknown>;
  dialog: PermissionDialog;
  approval: Approval | null;
  /** A `confirm` answered `yes_always`: the CLI is told to keep allowing it this session. */
  always: boolean;
  /** An interrupt withdrew it: the answer stops the turn too. */
  withdrawn: boolean;
  /** The CLI's dialog for it has been on the screen (or long enough was waited for it). */
  shown: boolean;
  suggestions: unknown[];
}

/**
 * A Claude Code session followed through the CLI's own channels: its HTTP hooks say when a prompt was
 * taken, what tool it calls with which input, when it asks permission (answered by the hook, so no key
 * is ever typed for a tool permission) and when the turn ends (`Stop`); its transcript gives the text,
 * tool results and cost; the screen only tells when it is ready, its spinner, and dialogs no hook reports.
 */
export class HookedSession implements InteractiveSession {
  readonly driver = 'hooks' as const;
  private phase: Exclude<SessionState, 'exited' | 'lost'> = 'starting';
  private blocking: BlockingDialog | null = null;
  /** The screen as the hooks driver reads it: readiness, the spinner, a dialog no hook reports. */
  private readonly screenReader: HookedScreen;
  /** When the dialog `blocking` was first seen on the screen. */
  private blockingSince = 0;
  /**
   * The CLI's own dialog for a request Mission held (drawn while the hook was out, as for ExitPlanMode): still on the
   * screen until the CLI redraws after the answer, it is no dialog of its own then. Forgotten once the screen shows
   * another, or none.
   */
  private heldRequestDialog: BlockingDialog | null = null;
  private exit: PtyExit | null = null;
  private exitReason: string | undefined;
  private killed = false;
  private readonly held: HeldRequest[] = [];
  /**
   * What the session puts to its person now (Claude's AskUserQuestion call, or an MCP server's request for input,
   * its hook held until answered): what blocks the session meanwhile.
   */
  private asking: HeldAsk | null = null;
  /** Turns ended so far (Stop, or an interrupt), and the reply of the last one. */
  private turnsEnded = 0;
  /**
   * The turn a submitted prompt started and that has not ended, named by the CLI's prompt id (null if the
   * hook did not carry one). A turn ends once; a Stop or a transcript mark of an earlier turn (an interrupted
   * one's, written late) names another prompt and ends nothing. A turn Mission typed is `unnamed` until its
   * UserPromptSubmit names it: whatever names a prompt meanwhile names an earlier one. A slash command Mission
   * typed (`command`, when it was typed) may never be named: the CLI runs most of them itself, calling no hook.
   */
  private openTurn: { promptId: string | null; unnamed?: true; command?: { typedAt: number } } | null = null;
  /** The last turn the CLI ended on a failed model request (its number among `turnsEnded`), and what it said of it. */
  private failedTurn: { turn: number; message: string } | null = null;
  private lastReply: string | null = null;
  /** The newest assistant text the transcript (or Stop) gave. */
  private lastText: string | null = null;
  /**
   * Replies Stop carried before the transcript held them (the CLI writes its transcript in batches, after
   * Stop): their `assistant_message` was emitted from Stop, so the transcript's record of each, when it
   * comes, is not emitted again. Oldest first.
   */
  private readonly aheadOfTranscript: string[] = [];
  private transcript: JsonlTail | null = null;
  /** The transcripts of its subagents (their messages and tool results, which the session's does not hold). */
  private readonly subagents: SubagentTranscripts;
  /** The transcripts' sizes before this CLI started: what they held was the earlier CLI's, reported by its session. */
  private readonly transcriptHistory: ReadonlyMap<string, number>;
  /** The limit the transcript last told (the CLI's synthetic error message and its reset), until the menu is answered. */
  private limitHit: UsageLimitHit | null = null;
  /** Mission is answering the CLI's usage-limit menu and waiting for the slot to resume (one at a time). */
  private stoppingAtLimit = false;
  /** While the session waits for its slot's usage limit to reset: the blocking dialog it reports (nothing to answer). */
  private limitHold: BlockingDialog | null = null;
  /** Resumed after its worker's loss while it waited for its slot's usage limit: it waits again once its CLI is up. */
  private limitToWaitAgain: boolean;
  /** The session's cost so far, told as `usage` events. */
  private readonly spend: RunningSpend;
  private readonly events: SessionEvents;
  /** Reads the screen once its output has been rendered; ticks of the spinner and new blocks at most every HOOKED_STATUS_READ_MS. */
  private readonly reads: ReadSchedule;

  constructor(
    readonly id: string,
    readonly pty: PtySession,
    private readonly cwd: string,
    /**
     * Where its CLI writes its transcripts (its home's `projects`), and whose they must be ({@link guardedOwner}):
     * a hook call naming another file is not read (the CLI's environment, hence its hooks' secret, is its agent's).
     */
    private readonly transcripts: { folder: string; owner: number | null },
    private readonly hooks: HookedSessionHooks,
    /** How this CLI resumed an earlier one's session (null when it started it). */
    resumed: ResumedSession | null = null,
  ) {
    this.events = new SessionEvents(hooks.emit, hooks.log);
    this.subagents = new SubagentTranscripts({ ...transcripts, emit: (event) => this.events.emit(event), log: hooks.log });
    this.transcriptHistory = resumed?.transcriptSizes ?? new Map();
    this.limitToWaitAgain = Boolean(resumed?.atLimit);
    this.spend = new RunningSpend(resumed?.spentBefore ?? null, (report) => this.events.emit({ type: 'usage', payload: report }));
    // That turn is this CLI's open turn: it goes on once the slot takes work again, unless it ends first (an interrupt).
    if (resumed?.atLimit?.turnOpen) this.openTurn = { promptId: null };
    this.screenReader = new HookedScreen(pty);
    this.reads = new ReadSchedule({
      timing: HOOKED_READ_TIMING,
      written: () => this.screenReader.written(),
      read: () => this.readScreen(),
    });
    pty.onRender(() => {
      this.reads.rendered();
      // A command waiting for the frame being drawn (wholeFrame) goes on once it is, not at the next paced read.
      this.events.wake();
    });
    void pty.exited.then((exit) => this.exited(exit));
  }

  get state(): SessionState {
    return this.exit ? 'exited' : this.phase;
  }

  /** Answers one hook call of this session's CLI. */
  async hook(input: HookInput, withdrawn: AbortSignal): Promise<object> {
    if (input.transcript_path && this.transcript?.file !== input.transcript_path) {
      if (isBelow(this.transcripts.folder, input.transcript_path)) {
        this.transcript?.close();
        const offset = this.transcriptHistory.get(input.transcript_path);
        this.transcript = new JsonlTail(input.transcript_path, offset, this.transcripts.owner);
      } else
        this.hooks.log.warn(
          { transcriptPath: input.transcript_path, transcripts: this.transcripts.folder },
          "a hook call named a transcript outside the CLI's home: not read",
        );
    }
    this.transcript?.watch(() => {
      this.readTranscript();
      this.events.wake();
    });
    const subagent = subagentOf(input);
    // The CLI's own agents (/compact's summary) have no type: what they say is not the conversation's.
    if (subagent?.type)
      this.subagents.heard(
        subagent,
        this.transcript?.file,
        input.hook_event_name === 'SubagentStop' ? input.agent_transcript_path : undefined,
      );
    this.readTranscript();
    switch (input.hook_event_name) {
      case 'UserPromptSubmit':
        this.openTurn = { promptId: input.prompt_id ?? null };
        this.lastText = null;
        // A limit recorded in an earlier turn (with no menu after it) tells nothing of this one's.
        this.limitHit = null;
        this.events.emit(promptEvent(input.prompt));
        this.setPhase('working');
        return NO_DECISION;
      case 'PreToolUse':
        return this.preToolUse(input);
      case 'PermissionRequest':
        return this.permissionRequest(input, withdrawn);
      case 'Notification':
        this.notified(input);
        return NO_DECISION;
      case 'Elicitation':
        return this.elicitation(input, withdrawn);
      case 'SessionEnd':
        // `/clear` ends the conversation (the CLI goes on in a new one): the command has done what it does.
        if (input.reason === 'clear' && this.inCommandTurn()) this.endCommandTurn('');
        return NO_DECISION;
      case 'Stop':
        if (!this.isOpenTurn(input.prompt_id ?? null)) return NO_DECISION;
        this.replyFromStop(input.last_assistant_message ?? null);
        // The turn ends on the dialog the screen shows now, not on the one of the last paced read, which a frame drawn
        // since may have closed.
        this.readScreen();
        this.endTurn(input.last_assistant_message ?? this.lastText, input.prompt_id ?? null);
        return NO_DECISION;
      case 'StopFailure':
        this.turnFailed(input);
        return NO_DECISION;
      case 'SubagentStop':
        this.subagentStopped(input);
        return NO_DECISION;
      default:
        return NO_DECISION;
    }
  }

  private async preToolUse(input: HookInputOf<'PreToolUse'>): Promise<object> {
    const { tool_name: tool, tool_input: toolInput, tool_use_id: id } = input;
    const subagent = subagentOf(input);
    const summary = toolTarget(tool, toolInput, this.cwd);
    this.events.emit({ type: 'tool_call', payload: { id, tool, input: toolInput, summary, ...(subagent ? { subagent } : {}) } });
    const refusal = await this.hooks.refusal({ tool, input: toolInput });
    return refusal ? preToolUseDenial(refusal.reason ?? 'Mission denied this.') : NO_DECISION;
  }

  /**
   * A subagent ended: its transcript is read to its end, and its last message (what it reports to Claude) emitted from
   * its end if the transcript does not hold it yet. Not of the CLI's own agents (/compact's summary), which have no type.
   */
  private subagentStopped(input: HookInputOf<'SubagentStop'>): void {
    const subagent = subagentOf(input);
    if (subagent?.type) this.subagents.ended(subagent, input.last_assistant_message ?? null);
  }

  /**
   * What the CLI tells the person at its terminal becomes a `notice` event. It is the CLI's own word that its
   * permission dialog waits for a person (`permission_prompt`: the request is shown, whatever the screen
   * parser made of it), and that it waits at its prompt (`idle_prompt`: the turn of the prompt it names is
   * over, even if its Stop never came).
   */
  private notified(input: HookInputOf<'Notification'>): void {
    const kind = input.notification_type ?? 'notification';
    this.events.emit({ type: 'notice', payload: { kind, text: input.message } });
    if (kind === 'permission_prompt') for (const held of this.held) if (held.approval) this.markShown(held);
    if (kind === 'idle_prompt' && this.phase === 'working' && this.held.length === 0 && input.prompt_id)
      this.endTurn(this.lastText, input.prompt_id);
  }

  /**
   * Holds the CLI's permission request until the role decides it (at once by a rule, or once a person
   * decides the approval), then answers it: the CLI's own dialog closes without a key being pressed.
   */
  private async permissionRequest(input: HookInputOf<'PermissionRequest'>, withdrawn: AbortSignal): Promise<object> {
    const { tool_name: tool, tool_input: toolInput } = input;
    const subagent = subagentOf(input);
    const questions = questionsAsked({ tool, input: toolInput });
    if (questions) return this.askPerson(new HeldAsk(new ClaudeQuestionAsk(toolInput, questions), this.hooks.askWindowMs), withdrawn);
    const request: HeldRequest = {
      tool,
      input: toolInput,
      dialog: hookDialog(tool, toolInput, this.cwd),
      approval: null,
      always: false,
      withdrawn: false,
      shown: false,
      suggestions: input.permission_suggestions ?? [],
    };
    this.events.emit({
      type: 'permission_request',
      payload: {
        tool,
        input: toolInput,
        summary: request.dialog.target,
        options: request.dialog.options.map(({ key, label, meaning }) => ({ key, label, meaning })),
        ...(subagent ? { subagent } : {}),
      },
    });
    this.held.push(request);
    // The CLI gave up on the call (Esc in an attached terminal): the approval is withdrawn. Not when Mission
    // kills the CLI: its end expires the session's approvals as `session_exited`.
    const guardWithdrawn = new AbortController();
    withdrawn.addEventListener('abort', () => this.killed || guardWithdrawn.abort(), { once: true });
    try {
      const answer = await this.hooks.guard(
        { tool, input: toolInput },
        (approval) => {
          request.approval = approval;
          setTimeout(() => this.markShown(request), DIALOG_SHOWN_MS).unref();
          this.setPhase('waiting_permission');
          this.readScreen();
        },
        guardWithdrawn.signal,
        subagent,
      );
      if (answer.decision === 'deny')
        return permissionAnswer({
          behavior: 'deny',
          message: answer.reason ?? 'Mission denied this.',
          ...(request.withdrawn ? { interrupt: true } : {}),
        });
      return permissionAnswer({
        behavior: 'allow',
        updatedInput: toolInput,
        ...(request.always && request.suggestions.length > 0 ? { updatedPermissions: request.suggestions } : {}),
      });
    } finally {
      this.held.splice(this.held.indexOf(request), 1);
      // Decided: the turn goes on; a request of a background agent whose turn has ended leaves the session at its prompt.
      if (this.phase === 'waiting_permission' && !this.waitingForPerson()) this.setPhase(this.openTurn ? 'working' : 'idle');
    }
  }

  /**
   * An MCP server asks the person for input (elicitation): a form whose fields Mission can ask, or an http(s) page to
   * open, is put to the person as `mcp_input` dialogs and answered through the hook; any other (a field of another
   * shape, an address of another kind) is left to the CLI's own dialog, which the screen shows (`blocked` on it).
   */
  private async elicitation(input: HookInputOf<'Elicitation'>, withdrawn: AbortSignal): Promise<object> {
    const ask = mcpRequestAsk(input);
    return ask ? this.askPerson(new HeldAsk(ask, this.hooks.askWindowMs), withdrawn) : NO_DECISION;
  }

  /**
   * Puts what a held hook call asks (Claude's question, an MCP server's request for input) to the person — the
   * session is `blocked` on it, one dialog at a time — and holds the call until it is answered: the answers go back
   * in the hook's answer, no key is typed. Not an approval: asking changes nothing (a role's deny rule keeps
   * AskUserQuestion from Claude: the CLI is started with it).
   */
  private async askPerson(held: HeldAsk, withdrawn: AbortSignal): Promise<object> {
    withdrawn.addEventListener('abort', () => held.hangUp(), { once: true });
    // One at a time: a second call (two questions in one message) is shown once the first has ended.
    while (this.asking && !held.ended) await this.asking.settled;
    if (held.ended || withdrawn.aborted) {
      held.hangUp();
      return held.settled;
    }
    this.asking = held;
    this.showAsked(held);
    try {
      return await held.settled;
    } finally {
      this.asking = null;
      if (held.unansweredNotice) this.events.emit({ type: 'notice', payload: held.unansweredNotice });
      this.blocking = null;
      if (!this.exit) this.setPhase('working');
    }
  }

  /** The session is blocked on the dialog `held` shows now (its next one, once one is answered). */
  private showAsked(held: HeldAsk): void {
    this.blocking = held.ask.dialog;
    this.blockingSince = Date.now();
    if (this.phase === 'blocked') this.tellPhase();
    else this.setPhase('blocked');
  }

  /** Types the text, submits it, and waits for the turn to end (Stop) or to wait for a person's approval. */
  async send(text: string, timeoutMs: number): Promise<SessionTurn> {
    const deadline = Date.now() + timeoutMs;
    await this.events.waitFor(
      () => this.state !== 'starting',
      timeoutMs,
      'the session to start',
      () => this.state,
    );
    await this.wholeFrame(deadline - Date.now());
    this.refuseUnlessIdle();
    await this.hooks.checkText(text);
    // Again: another command may have typed while the text was checked.
    this.refuseUnlessIdle();
    const before = this.turnsEnded;
    // A `!` command runs in the CLI's bash mode: no model turn, so no Stop hook ends it; its output is on the screen.
    const bashMode = bashModeCommand(text) !== null;
    // The turn is open from here, before the CLI's UserPromptSubmit hook names its prompt: nothing else may type into
    // the prompt meanwhile, and the session is working as soon as the CLI can show it is (the screen and the hook are
    // two channels: its spinner may be read before its hook arrives).
    if (!bashMode) this.openTurnTyped(text.trimStart().startsWith('/') ? { typedAt: Date.now() } : undefined);
    await typePrompt(this.pty, this.events, text, deadline, () => this.state);
    if (bashMode) return this.turn();
    return this.turnEnd(before, deadline, 'the reply', timeoutMs);
  }

  /**
   * A command that types must not: the session is not at its prompt, as the screen shows it now (a dialog drawn
   * since the last read, whose output the pacing left for later, is seen before a key is typed into it).
   */
  private refuseUnlessIdle(): void {
    if (this.exit) throw this.exitedError();
    this.readScreen();
    if (this.limitHold)
      throw new ConflictError(
        `the session waits for its slot's usage limit to reset ("${this.limitHold.text.split('\n').join('; ')}"): it goes on by itself then`,
        { blocking: this.limitHold },
      );
    if (this.blocking) throw blockedError(this.blocking);
    if (this.phase === 'waiting_permission') {
      throw waitingPermissionError(this.held[0]?.dialog ?? null, this.pendingApproval());
    }
    if (this.phase === 'working') throw new ConflictError('the session is still working on the previous message: wait, or interrupt it');
  }

  /** Decides the approval the oldest held permission request waits for, then waits for the turn to go on to its end. */
  async confirm(confirmation: Confirmation, timeoutMs: number): Promise<SessionTurn> {
    const request = this.held.find((held) => held.approval);
    if (!request?.approval) throw new ConflictError(`no permission dialog is open (the session is ${this.state})`);
    const deadline = Date.now() + timeoutMs;
    const before = this.turnsEnded;
    request.always = confirmation.choice === 'yes_always';
    await this.hooks.decideApproval(request.approval.id, confirmation);
    await this.events.waitFor(
      () => !this.held.includes(request),
      deadline - Date.now(),
      'the permission answer',
      () => this.state,
    );
    // A background agent's request, held past its turn's end: no turn waits for it, the agent goes on by itself.
    if (!this.openTurn) return this.turn();
    return this.turnEnd(before, deadline, 'the turn to end', timeoutMs);
  }

  /**
   * The CLI ended the turn on a failed model request (its StopFailure hook, and no Stop): the turn is over and the CLI
   * back at its prompt, with an `error` event in the CLI's words. A usage or rate limit (`rate_limit`) is left to the
   * limit's own handling, which waits for the reset and goes on with the turn.
   */
  private turnFailed(input: HookInputOf<'StopFailure'>): void {
    if (input.error === 'rate_limit' || !this.isOpenTurn(input.prompt_id ?? null)) return;
    const said = input.last_assistant_message ?? input.error_details ?? 'no reason given';
    const message = failedRequestMessage(said, input.error);
    this.events.emit({ type: 'error', payload: { code: 'turn_failed', message } });
    this.endTurn(null, input.prompt_id ?? null);
    this.failedTurn = { turn: this.turnsEnded, message };
  }

  /**
   * Resolves once a turn ended after `before`, or a new permission request waits for a person, or a usage limit
   * stopped the turn until its reset, or the CLI exited. A turn that ended on a failed model request is a
   * `turn_failed` error (502): the session is back at its prompt.
   */
  private async turnEnd(before: number, deadline: number, what: string, timeoutMs: number): Promise<SessionTurn> {
    try {
      await this.events.waitFor(
        // Blocked: by a dialog of the CLI's own no hook reports (the screen shows it), which waits for a person too.
        () =>
          this.exit !== null || this.turnsEnded > before || this.waitingForPerson() || this.limitHold !== null || this.phase === 'blocked',
        deadline - Date.now(),
        what,
        () => this.state,
      );
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
      // The command's whole timeout, not what was left of it.
      const message = `timed out after ${timeoutMs} ms waiting for ${what} (the session is ${this.state})`;
      this.events.emit({ type: 'error', payload: { code: 'timeout', message } });
      throw new TimeoutError(message, { state: this.state });
    }
    if (this.turnsEnded > before && this.failedTurn?.turn === this.turnsEnded) throw turnFailedError(this.failedTurn.message, this.state);
    return this.turn();
  }

  /**
   * Stops what Claude is doing. A permission request held for a person is withdrawn (its approval
   * expires) and answered with an interrupt; otherwise Esc is pressed once (Ctrl+C if the turn does not
   * stop), and the screen back at the prompt confirms it.
   */
  async interrupt(): Promise<SessionTurn> {
    // What the screen shows now: a screen a slash command opened since the last read is closed, not taken for the prompt.
    await this.wholeFrame(INTERRUPT_WAIT_MS);
    this.readScreen();
    if (this.state === 'idle' || this.exit) return this.turn();
    // A usage limit stopped the turn already (the CLI waits at its prompt, or its menu is being answered): no key
    // to press; the turn is over, so nothing goes on at the reset.
    if (this.limitHold) {
      this.endTurn(this.lastText);
      return this.turn();
    }
    const before = this.turnsEnded;
    // Back at the prompt, and a screen a slash command opened is closed.
    const stopped = () =>
      this.exit !== null ||
      this.turnsEnded > before ||
      (this.held.length === 0 && this.screenReader.snapshot.state === 'idle' && this.blocking?.kind !== 'command_screen');
    const stop = () =>
      this.events
        .waitFor(stopped, INTERRUPT_WAIT_MS, 'the interrupt', () => this.state)
        .then(
          () => true,
          () => false,
        );
    const pending = this.held.filter((held) => held.approval);
    for (const held of pending) held.withdrawn = true;
    await Promise.all(pending.map((held) => this.hooks.withdrawApproval(held.approval!.id)));
    const asking = this.asking;
    asking?.withdraw();
    // A withdrawn request or question is answered with an interrupt; keys are for a turn that is still going (an MCP
    // server's cancelled request leaves the turn going).
    if (!((pending.length > 0 || asking?.ask.withdrawInterrupts) && (await stop()))) {
      this.pty.write(ESC);
      if (!(await stop())) {
        this.pty.write(CTRL_C);
        await this.events.waitFor(stopped, INTERRUPT_WAIT_MS, 'the interrupt', () => this.state);
      }
    }
    // No reply in the transcript yet: what the screen shows of it (the screen read whole, once).
    if (this.turnsEnded === before) this.endTurn(this.lastText ?? parseScreen(this.pty.screen()).lastResponse);
    return this.turn();
  }

  /**
   * Answers the dialog a blocked session shows: Claude's question or an MCP server's request for input through its
   * hook (the turn then goes on to its end, or to the next dialog), any other dialog with its key pressed once,
   * confirmed by the screen.
   */
  async answer(reply: DialogReply, timeoutMs: number): Promise<SessionTurn> {
    if (this.asking) return this.answerAsked(this.asking, reply, timeoutMs);
    const deadline = Date.now() + timeoutMs;
    await this.wholeFrame(timeoutMs);
    this.readScreen();
    if (this.asking) return this.answerAsked(this.asking, reply, deadline - Date.now());
    const dialog = this.blocking;
    if (!dialog) throw new ConflictError(`no dialog is waiting for an answer (the session is ${this.state})`);
    await answerDialog(
      this.answering(
        () => this.blocking,
        () => this.blockingSince,
      ),
      dialog,
      reply,
      deadline - Date.now(),
    );
    return this.turn();
  }

  /** Takes the person's answer to what a held call asks: its next dialog shows, or the CLI is given every answer and the turn goes on to its end. */
  private async answerAsked(held: HeldAsk, reply: DialogReply, timeoutMs: number): Promise<SessionTurn> {
    const deadline = Date.now() + timeoutMs;
    const before = this.turnsEnded;
    if (!held.answer(reply)) {
      this.showAsked(held);
      return this.turn();
    }
    await this.events.waitFor(
      () => this.asking !== held,
      timeoutMs,
      'the question to close',
      () => this.state,
    );
    return this.turnEnd(before, deadline, 'the turn to end', timeoutMs);
  }

  /** What {@link answerDialog} needs to answer the dialog `current` reads, first seen at `shownSince`. */
  private answering(current: () => BlockingDialog | null, shownSince: () => number): DialogAnswering {
    return {
      pty: this.pty,
      current,
      shownSince,
      state: () => this.state,
      until: (test, ms, what) => this.events.waitFor(test, ms, what, () => this.state),
    };
  }

  screen(): SessionScreen {
    const screen = this.pty.screen();
    const snapshot = this.readScreen();
    return {
      state: this.state,
      title: screen.title,
      lines: screen.lines,
      cursor: screen.cursor,
      dialog: this.held.find((held) => held.approval)?.dialog ?? snapshot.dialog,
      blocking: this.blocking,
      status: snapshot.status,
    };
  }

  async kill(): Promise<PtyExit> {
    this.killed = true;
    return this.pty.kill();
  }

  flushed(): Promise<void> {
    return this.events.flushed();
  }

  private turn(): SessionTurn {
    const waiting = this.held.find((held) => held.approval);
    return {
      state: this.state,
      response: this.lastReply,
      dialog: waiting?.dialog ?? null,
      approval: this.pendingApproval(),
      ...(this.blocking ? { blocking: shownDialog(this.blocking) } : {}),
    };
  }

  private pendingApproval(): PendingApproval | null {
    const approval = this.held.find((held) => held.approval)?.approval;
    return approval ? { id: approval.id, expiresAt: approval.expiresAt } : null;
  }

  /** A permission request waits for a person, and its dialog shows; or Claude asks the person a question. */
  private waitingForPerson(): boolean {
    return this.asking !== null || this.held.some((held) => held.approval && held.shown);
  }

  private markShown(request: HeldRequest): void {
    if (request.shown) return;
    request.shown = true;
    this.events.wake();
  }

  /** The turn of `promptId` is the open one (a call or record that names no prompt is taken for it). */
  private isOpenTurn(promptId: string | null): boolean {
    if (!this.openTurn) return false;
    if (promptId === null || promptId === this.openTurn.promptId) return true;
    return this.openTurn.promptId === null && !this.openTurn.unnamed;
  }

  /**
   * A turn whose prompt Mission types (its prompt id comes with its UserPromptSubmit hook): working from now, as
   * the continue after a usage limit is. A slash `command` the CLI runs itself ends without a hook: at its output in
   * the transcript, at the screen it opens instead of its prompt, or (`/clear`) at the SessionEnd of the conversation.
   */
  private openTurnTyped(command?: { typedAt: number }): void {
    this.openTurn = { promptId: null, unnamed: true, ...(command ? { command } : {}) };
    this.setPhase('working');
  }

  /** The open turn is a slash command Mission typed that the CLI has not named as a prompt, typed by `at` (ms) if given. */
  private inCommandTurn(at = Number.POSITIVE_INFINITY): boolean {
    const command = this.openTurn?.unnamed ? this.openTurn.command : undefined;
    return command !== undefined && command.typedAt <= at;
  }

  /** Ends the turn of a slash command the CLI ran itself, with what it printed (told as a `notice`). */
  private endCommandTurn(output: string): void {
    this.events.emit({ type: 'notice', payload: { kind: 'command_output', text: output } });
    this.endTurn(output);
  }

  /** Ends the open turn, if `promptId` (when known) is its prompt. */
  private endTurn(reply: string | null, promptId: string | null = null): void {
    if (!this.isOpenTurn(promptId)) return;
    this.openTurn = null;
    this.readTranscript();
    this.lastReply = reply;
    this.turnsEnded++;
    // Held by the slot's usage limit: its `state` tells again, now that the stopped turn is over (nothing goes on then).
    if (!this.exit && this.phase === 'blocked' && this.limitHold && this.blocking === this.limitHold) this.tellPhase();
    // A request held for a person past the turn's end (a background agent's, which runs on after it) still waits.
    else if (!this.exit) this.setPhase(this.blocking ? 'blocked' : this.pendingApproval() ? 'waiting_permission' : 'idle');
    this.events.wake();
  }

  /**
   * The reply Stop carried (the CLI's own text of its last message) is the turn's `assistant_message` now,
   * unless the transcript gave it already: the turn ends without waiting for the CLI's next transcript write.
   */
  private replyFromStop(reply: string | null): void {
    const text = reply?.trim() ?? '';
    if (!text || this.lastText === text) return;
    this.lastText = text;
    this.aheadOfTranscript.push(text);
    this.events.emit({ type: 'assistant_message', payload: { text } });
  }

  /**
   * Whether what the transcript records now can stop the turn (a limit, an interrupt's mark): the session works on a
   * turn the CLI has taken. Not while a prompt Mission typed waits to be taken: the CLI writes nothing of its turn
   * before that, so a record then is an earlier turn's, written late.
   */
  private inTranscriptTurn(): boolean {
    return this.phase === 'working' && !this.openTurn?.unnamed;
  }

  /** Reads what the transcripts gained: assistant text, tool results, the mark of an interrupt, the cost; its subagents'. */
  private readTranscript(): void {
    this.subagents.read();
    if (!this.transcript) return;
    let records: Record<string, unknown>[];
    try {
      records = this.transcript.read();
    } catch (error) {
      if (!(error instanceof NotOwnedError)) throw error;
      this.hooks.log.error({ err: error }, "the transcript is not the agent CLI's own file: no longer read");
      this.transcript.close();
      this.transcript = null;
      return;
    }
    for (const record of records) {
      for (const update of transcriptUpdates(record)) {
        if (update.kind === 'assistant_text') {
          // The record of a reply Stop gave first: its event is stored already.
          if (this.aheadOfTranscript[0] === update.text) {
            this.aheadOfTranscript.shift();
            continue;
          }
          this.lastText = update.text;
          this.events.emit({ type: 'assistant_message', payload: { text: update.text } });
        } else if (update.kind === 'tool_result') {
          this.events.emit({
            type: 'tool_output',
            payload: { toolCallId: update.toolUseId, output: update.output, isError: update.isError },
          });
        } else if (update.kind === 'usage_limit') {
          this.limitHit = { text: update.text, resetsAt: update.resetsAt };
          // An API key's 429 (no reset told): the CLI shows no menu, leaves the turn unfinished and its prompt back.
          if (update.resetsAt === null && this.inTranscriptTurn() && !this.stoppingAtLimit) void this.stopAtLimit(null);
        } else if (update.kind === 'command_output') {
          // Written after the command was typed: not a late record of an earlier one.
          if (this.inCommandTurn(update.at)) this.endCommandTurn(update.text);
        } else if (update.kind === 'cost') {
          this.spend.total(update.costUsd, update.usage);
        } else if (this.inTranscriptTurn() && this.held.length === 0) {
          // Stopped from an attached terminal (Esc): no Stop hook follows.
          this.endTurn(this.lastText, update.promptId);
        }
      }
    }
  }

  /** What its claude has cost so far, as its metrics export told. Not once it has exited: its transcript's `cost-state` was read then. */
  spent(spend: CliSpend): void {
    if (!this.exit) this.spend.exported(spend);
  }

  /**
   * A limit stopped the turn: the CLI's usage-limit `menu` is on the screen (a claude.ai subscriber's limit; the
   * setting `autoContinueAtUsageLimit` is off, so it asks), or, with no menu, the transcript recorded an API key's
   * 429. The slot pauses until the reset (the one the transcript recorded, else the one the menu names, else a
   * minute on), the menu is answered "Stop and wait", and the session stays `blocked` by the limit until its slot
   * takes work again. Then the turn the limit stopped goes on with one `continue`, only if it had not ended (no Stop
   * came for its prompt, nobody interrupted it meanwhile): a turn that ended is never run again.
   */
  private async stopAtLimit(menu: BlockingDialog | null): Promise<void> {
    this.stoppingAtLimit = true;
    const seen = Date.now();
    try {
      await this.events
        .waitFor(
          () => this.limitHit !== null,
          LIMIT_RECORD_WAIT_MS,
          "the limit's record in the transcript",
          () => this.state,
        )
        .catch(() => undefined);
      if (this.exit) return;
      const hit = this.limitHit ?? (menu ? limitOnMenu(menu) : null);
      this.limitHit = null;
      if (!hit) return;
      const stop = menu?.options.find((option) => STOP_AND_WAIT.test(option.label));
      if (menu && !stop) throw new Error(`the usage-limit menu offers no "Stop and wait" (${menu.options.map((o) => o.label).join('; ')})`);
      const { until, resumed } = await this.hooks.limitReached(hit);
      this.holdAtLimit(hit.text, until);
      // The slot is paused whatever becomes of the menu (a person at an attached terminal may answer it first).
      if (menu && stop)
        await answerDialog(
          this.answering(
            () => this.screenReader.blocking,
            () => seen,
          ),
          menu,
          { option: stop.key },
          LIMIT_KEYS_MS,
        ).catch((error: unknown) =>
          this.hooks.log.warn({ err: error }, 'the usage-limit menu was not answered "Stop and wait" by Mission'),
        );
      await this.goOnAfterLimit(resumed);
    } catch (error) {
      this.hooks.log.error({ err: error }, 'could not stop the session at its usage limit and resume it after the reset');
    } finally {
      this.stoppingAtLimit = false;
    }
  }

  /**
   * Resumed after its worker's loss while it waited for its slot's usage limit: once its CLI is up, it waits again
   * (`blocked` by the limit, nothing typed) until the slot takes work again — at once when the pause is over
   * already. Then the turn the limit stopped goes on as after `stopAtLimit`, only if it had not ended.
   */
  private async waitAgainAtLimit(): Promise<void> {
    this.stoppingAtLimit = true;
    try {
      const { text, until, resumed } = await this.hooks.limitWaited();
      this.limitToWaitAgain = false;
      this.holdAtLimit(text, until);
      await this.goOnAfterLimit(resumed);
    } catch (error) {
      this.hooks.log.error(
        { err: error },
        "could not wait again for the slot's usage limit after the resume: the session goes on at its prompt",
      );
    } finally {
      this.stoppingAtLimit = false;
      this.limitToWaitAgain = false;
      this.reads.soon();
    }
  }

  /** The session waits, `blocked` by the limit (`text`, the CLI's words), until its slot takes work again at `until`. */
  private holdAtLimit(text: string, until: Date): void {
    this.limitHold = {
      kind: 'usage_limit',
      text: `${text}\nstopped to wait for the limit: the slot takes work again at ${until.toISOString()}`,
      options: [],
      numbered: false,
      selected: null,
    };
    this.readScreen();
  }

  /**
   * Once the slot takes work again (`resumed`): the turn the limit stopped goes on with one `continue` if it had not
   * ended; else the session is idle.
   */
  private async goOnAfterLimit(resumed: Promise<boolean>): Promise<void> {
    if (!(await resumed)) return;
    const unfinished = this.openTurn !== null;
    this.limitHold = null;
    if (this.exit) return;
    if (!unfinished) {
      this.readScreen();
      return;
    }
    this.hooks.log.info('usage limit reset: the turn it stopped goes on');
    // Working from here (not idle): nothing else may type into the prompt before the continue is taken.
    this.setPhase('working');
    await typePrompt(this.pty, this.events, CONTINUE_AFTER_LIMIT_PROMPT, Date.now() + LIMIT_KEYS_MS, () => this.state);
    // A limit hit again by the continue shows its menu while this one was still finishing: looked at once this is done.
    this.reads.soon();
  }

  /**
   * Resolves once the screen shows a whole frame: at once, unless the CLI is drawing one (a command decides on the
   * screen as it is, not on the frame before the one being drawn, which the pacing may have left unread).
   */
  private wholeFrame(timeoutMs: number): Promise<void> {
    return this.events.waitFor(
      () => !this.pty.drawing,
      timeoutMs,
      'the CLI to finish drawing its screen',
      () => this.state,
    );
  }

  /** The screen as it is now (as of the last whole frame, while the CLI draws one): readiness, the spinner, a dialog no hook reports. */
  private readScreen(): SessionSnapshot {
    this.reads.reading();
    if (this.exit) return this.screenReader.snapshot;
    for (const event of this.screenReader.read()) this.events.emit(event);
    const next = this.screenReader.snapshot;
    if (next.dialog) for (const held of this.held) if (held.approval) this.markShown(held);
    // While a permission request or a question is held, the dialog on the screen is the CLI's own for it. Claude's
    // question comes through its hook: the CLI's own form for it is never what blocks the session, neither drawn before
    // the hook's call reaches Mission (the CLI draws it and calls the hook at once) nor after the hook was answered.
    const onScreen = this.screenReader.blocking;
    if (this.held.length > 0 && onScreen) this.heldRequestDialog = onScreen;
    else if (!sameBlockingDialog(onScreen, this.heldRequestDialog)) this.heldRequestDialog = null;
    const shown = this.held.length > 0 || this.asking || onScreen?.form || this.heldRequestDialog ? null : onScreen;
    // The usage-limit menu is Mission's to answer: until the slot's pause is on, the session is not blocked by it.
    const limitMenu = shown?.kind === 'usage_limit' && shown.options.length > 0 ? shown : null;
    if (limitMenu && !this.stoppingAtLimit) void this.stopAtLimit(limitMenu);
    const blocking = this.asking ? this.asking.ask.dialog : limitMenu ? this.limitHold : (shown ?? this.limitHold);
    const changed = blocking !== null && !sameBlockingDialog(blocking, this.blocking);
    const blockedBefore = this.phase === 'blocked';
    if (changed) this.blockingSince = Date.now();
    this.blocking = blocking;
    // A slash command that opened a screen of the CLI's own has done what it does: its text is the reply.
    if (blocking && this.inCommandTurn()) this.endCommandTurn(blocking.text);
    // Blocked already, by a dialog another replaced: the row and a state event tell the one showing now.
    if (this.blocking && changed && blockedBefore && !this.exit) this.tellPhase();
    else if (this.blocking) this.setPhase('blocked');
    else if (this.limitToWaitAgain) {
      if (this.phase === 'starting' && next.state !== 'starting' && !this.stoppingAtLimit) void this.waitAgainAtLimit();
    } else if (this.phase === 'blocked' || (this.phase === 'starting' && next.state !== 'starting'))
      this.setPhase(next.state === 'working' ? 'working' : 'idle');
    this.readTranscript();
    this.events.wake();
    return next;
  }

  private setPhase(phase: HookedSession['phase']): void {
    if (this.exit || phase === this.phase) {
      this.events.wake();
      return;
    }
    this.phase = phase;
    this.tellPhase();
  }

  /** Records the phase on the session's row, with its `state` event (and the dialog that blocks it). */
  private tellPhase(): void {
    const phase = this.phase;
    const blocking = this.blocking;
    const told = {
      state: phase,
      ...(phase === 'blocked' && blocking ? { reason: blockedReason(blocking) } : {}),
      // Held by the slot's usage limit: what a resume after a loss must know (HookedSession.waitAgainAtLimit).
      ...(phase === 'blocked' && blocking && blocking === this.limitHold ? { limitTurnOpen: this.openTurn !== null } : {}),
    };
    // The events before it (the reply Stop carried, say) go in the same write as the state's row and event.
    this.events.runWith(
      (before) => this.hooks.stateChanged(told, null, phase === 'blocked' ? blocking : null, undefined, before),
      STATE_NOT_RECORDED,
      { state: phase },
    );
    this.events.wake();
  }

  private exitedError(): ConflictError {
    return new ConflictError(this.exitReason ?? `the claude process exited (code ${this.exit?.exitCode ?? 'unknown'})`, {
      state: 'exited',
      exitCode: this.exit?.exitCode ?? null,
    });
  }

  private exited(exit: PtyExit): void {
    this.readScreen();
    this.readTranscript();
    this.exit = exit;
    this.exitReason = this.killed ? undefined : exitReason(exit, this.pty.screen().lines);
    const told = exitedState(exit, this.killed, this.exitReason);
    this.events.run(
      () => this.hooks.stateChanged(told, exit, null, sessionEndReason(exit, this.killed, this.exitReason)),
      STATE_NOT_RECORDED,
      { state: 'exited' },
    );
    this.events.close(() => this.exitedError());
    this.transcript?.close();
  }
}

/** The limit a usage-limit menu tells: its first line (the CLI's words) and the reset it names (to the minute). */
function limitOnMenu(menu: BlockingDialog): UsageLimitHit {
  return { text: menu.text.split('\n')[0] ?? menu.text, resetsAt: resetFromLimitText(menu.text, Date.now()) };
}

/**
 * The event of a prompt the CLI submitted: the person's message, or (a turn the CLI starts by itself when a command
 * run in the background has ended) its notice, as the CLI shows it: nobody said it.
 */
function promptEvent(prompt: string): MissionEventDraft {
  const summary = taskNotificationSummary(prompt);
  return summary === null
    ? { type: 'user_message', payload: { text: prompt } }
    : { type: 'notice', payload: { kind: 'task_notification', text: summary } };
}
