import {
  blockingDialogLine,
  type ConfirmChoice,
  type DialogReply,
  ConflictError,
  type MissionEventDraft,
  type SessionDriver,
  type SessionScreen,
  type SessionState,
  type SessionTurn,
  TimeoutError,
  howToDecide,
  howToGetPast,
  type PendingApproval,
  type PermissionDialogView,
} from '@mission/contracts';
import { answerSteps, type BlockingDialog, sameBlockingDialog } from '../pty/blockingDialog.ts';
import type { PtyExit, PtySession } from '../pty/ptySession.ts';
import type { Logger } from '@mission/store';
import type { CliSpend } from '../hooks/cliSpend.ts';

/**
 * A change of a session's state as its `state` event tells it (the state, and why, how it exited, …): the
 * session host records it on the row and stores the event in one transaction.
 */
export type StateTold = { state: SessionState } & Record<string, unknown>;

/** A `confirm` command's answer to a permission dialog: its meaning, who gave it, and with a no what Claude is told. */
export interface Confirmation {
  choice: ConfirmChoice;
  by: string;
  reason?: string;
}

/** What the session host and message delivery drive, whichever way the session is followed. */
export interface InteractiveSession {
  readonly id: string;
  readonly pty: PtySession;
  readonly driver: SessionDriver;
  readonly state: SessionState;
  send(text: string, timeoutMs: number): Promise<SessionTurn>;
  confirm(confirmation: Confirmation, timeoutMs: number): Promise<SessionTurn>;
  answer(reply: DialogReply, timeoutMs: number): Promise<SessionTurn>;
  interrupt(): Promise<SessionTurn>;
  screen(): SessionScreen;
  kill(): Promise<PtyExit>;
  /** Resolves once every event so far is stored. */
  flushed(): Promise<void>;
  /** What its claude has cost so far, as an export of its metrics told (hooks/cliSpend.ts). */
  spent(spend: CliSpend): void;
}

/** The most a submit waits for the pasted prompt to show in the input box before it presses Enter anyway. */
const PASTE_SHOWN_MS = 5_000;
const RULE = /^─{20,}$/;

/**
 * Types text as one bracketed paste and submits it once the CLI shows it in its input box: an Enter read
 * together with the paste (a busy or paused CLI reads both at once) would be taken as part of it.
 */
export async function typePrompt(
  pty: PtySession,
  events: SessionEvents,
  text: string,
  deadline: number,
  state: () => SessionState,
): Promise<void> {
  pty.write(`\x1b[200~${text}\x1b[201~`);
  const wait = Math.max(0, Math.min(PASTE_SHOWN_MS, deadline - Date.now()));
  try {
    await events.waitFor(() => inInputBox(pty.screen().lines, text), wait, 'the prompt to show', state);
  } catch (error) {
    // Not shown in time (a CLI that draws the paste otherwise): Enter anyway. A session that ended is no place to type.
    if (!(error instanceof TimeoutError)) throw error;
  }
  pty.write('\r');
}

/**
 * The input box (between the last two rules) holds `text` (the start of its first line), or the CLI's placeholder
 * for a long paste: typed, not yet taken by the CLI.
 */
export function inInputBox(lines: readonly string[], text: string): boolean {
  const head = (text.trim().split('\n')[0] ?? '').slice(0, 30);
  const bottom = lines.findLastIndex((line) => RULE.test(line.trim()));
  const top = lines.slice(0, Math.max(0, bottom)).findLastIndex((line) => RULE.test(line.trim()));
  if (top < 0) return false;
  const box = lines.slice(top + 1, bottom).join(' ');
  return box.includes(head) || box.includes('[Pasted text');
}

/** What a command that would type into a session waiting for a permission answer answers: the tool use, and how to decide it. */
export function waitingPermissionError(dialog: PermissionDialogView | null, approval: PendingApproval | null): ConflictError {
  const what = dialog ? ` (${dialog.tool} ${dialog.target})` : '';
  return new ConflictError(`the session is waiting for a permission answer${what}: ${howToDecide(approval?.id ?? null)}`, {
    dialog,
    approval,
  });
}

/** What a command that would type into a blocked session answers: the dialog, named, and what gets the session past it. */
export function blockedError(dialog: BlockingDialog): ConflictError {
  return new ConflictError(`the session shows a ${blockingDialogLine(dialog)}: ${howToGetPast(dialog)}`, { blocking: dialog });
}

type Waiter = { test: () => boolean; resolve: () => void; reject: (error: Error) => void };

/** What the session's log says when an event it emitted (stored in the background) could not be stored. */
export const EVENT_NOT_STORED = "could not store an event of the session: it is missing from the session's events";
/** What the session's log says when its new state could not be recorded on its row. */
export const STATE_NOT_RECORDED = "could not record the session's new state on its row";

/**
 * A session's events, stored in order, and the commands waiting for a condition on the session: each is
 * woken when the session changed and its condition holds, or failed when it ended. Events emitted while
 * earlier ones are being stored wait together and are stored together (one write, in order), so a burst
 * costs one round trip rather than one each.
 */
export class SessionEvents {
  private chain: Promise<void> = Promise.resolve();
  /** Events emitted after the last work that started: stored together once it is done. */
  private waiting: MissionEventDraft[] | null = null;
  private readonly waiters = new Set<Waiter>();
  private ended: (() => Error) | null = null;

  constructor(
    private readonly store: (drafts: MissionEventDraft[]) => Promise<void>,
    private readonly log: Logger,
  ) {}

  emit(draft: MissionEventDraft): void {
    if (this.waiting) {
      this.waiting.push(draft);
      return;
    }
    const drafts = [draft];
    this.waiting = drafts;
    this.chain = this.chain
      .then(() => {
        if (this.waiting === drafts) this.waiting = null;
        // Taken over by a `runWith` after it, which writes them itself.
        if (drafts.length === 0) return;
        return this.store(drafts);
      })
      .catch((error: unknown) => this.log.error({ err: error, types: drafts.map((each) => each.type) }, EVENT_NOT_STORED));
  }

  /** Runs `work` after everything emitted so far; a failure is logged (`failure`, with `fields`) and what follows still runs. */
  run(work: () => Promise<void>, failure: string, fields: Record<string, unknown>): void {
    this.waiting = null;
    this.chain = this.chain.then(work).catch((error: unknown) => this.log.error({ err: error, ...fields }, failure));
  }

  /**
   * As `run`, but `work` is handed the events still waiting to be written (emitted after the last work
   * started) and writes them itself, ahead of what it records: one write instead of two.
   */
  runWith(work: (waiting: MissionEventDraft[]) => Promise<void>, failure: string, fields: Record<string, unknown>): void {
    const waiting = this.waiting?.splice(0) ?? [];
    this.waiting = null;
    this.chain = this.chain
      .then(() => work(waiting))
      .catch((error: unknown) => this.log.error({ err: error, ...fields, types: waiting.map((each) => each.type) }, failure));
  }

  flushed(): Promise<void> {
    return this.chain;
  }

  /** Resolves once `test` holds (checked now and at every wake); rejects after `timeoutMs`, or when the session ends. */
  waitFor(test: () => boolean, timeoutMs: number, what: string, state: () => SessionState): Promise<void> {
    if (test()) return Promise.resolve();
    if (this.ended) return Promise.reject(this.ended());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.waiters.delete(waiter);
          reject(new TimeoutError(`timed out after ${timeoutMs} ms waiting for ${what} (the session is ${state()})`, { state: state() }));
        },
        Math.max(0, timeoutMs),
      );
      const waiter: Waiter = {
        test,
        resolve: () => (clearTimeout(timer), this.waiters.delete(waiter), resolve()),
        reject: (error) => (clearTimeout(timer), this.waiters.delete(waiter), reject(error)),
      };
      this.waiters.add(waiter);
    });
  }

  /** Resolves the waiters whose condition holds now (called at every render: nothing is copied when none waits). */
  wake(): void {
    if (this.waiters.size === 0) return;
    for (const waiter of [...this.waiters]) if (waiter.test()) waiter.resolve();
  }

  /** The session ended: every waiter (and every later one) fails with `error`, unless its condition holds. */
  close(error: () => Error): void {
    this.ended = error;
    for (const waiter of [...this.waiters]) {
      if (waiter.test()) waiter.resolve();
      else waiter.reject(error());
    }
  }
}

/**
 * Claude Code (2.1.331) silently refuses a key read less than this long after a dialog was mounted: its
 * guard against a key meant for what was on the screen before (`Os=250` beside `HE=150` in the CLI's input
 * module; a refused key restarts a 150 ms window). The dialog was mounted before Mission saw it painted,
 * so keys written this long after Mission first saw it are read outside the guard.
 */
export const DIALOG_KEY_GUARD_MS = 250;

/** Resolves once the CLI takes keys for a dialog first seen at `shownSince` (DIALOG_KEY_GUARD_MS after it). */
export async function dialogTakesKeys(shownSince: number): Promise<void> {
  const guard = shownSince + DIALOG_KEY_GUARD_MS - Date.now();
  if (guard > 0) await new Promise((resolve) => setTimeout(resolve, guard));
}

/** What {@link answerDialog} needs of a session: its terminal, the dialog it shows now and since when, a wait on it. */
export interface DialogAnswering {
  pty: PtySession;
  current: () => BlockingDialog | null;
  shownSince: () => number;
  state: () => SessionState;
  /** Resolves once `test` holds, checked at each change of the session; rejects after `timeoutMs` or when it ends. */
  until: (test: () => boolean, timeoutMs: number, what: string) => Promise<unknown>;
}

/**
 * Answers a dialog no hook reports: its keys are pressed once the CLI takes keys for the dialog
 * (DIALOG_KEY_GUARD_MS after it was first seen: `shownSince`), each step's once (see answerSteps), and the next
 * step waits for the screen to show the one before taken; the answer stands once the screen no longer shows that
 * dialog. Never pressed again: a key that lands after the dialog closed would be typed into Claude's input.
 */
export async function answerDialog(o: DialogAnswering, dialog: BlockingDialog, reply: DialogReply, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const steps = answerSteps(dialog, reply);
  await dialogTakesKeys(o.shownSince());
  if (!sameBlockingDialog(o.current(), dialog))
    throw new ConflictError(`the ${dialog.kind} dialog closed before it was answered (the session is ${o.state()})`);
  for (const step of steps) {
    o.pty.write(step.keys);
    await o.until(() => step.done(o.current()), deadline - Date.now(), step.what);
  }
}
