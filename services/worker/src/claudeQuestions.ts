import {
  type ClaudeQuestion,
  ConflictError,
  type DialogReply,
  type QuestionDialog,
  QuestionForm,
  unansweredMessage,
  windowMinutes,
} from '@mission/contracts';
import { NO_DECISION, permissionAnswer } from './hooks/hookPayloads.ts';

/*
 * A session's hook calls that ask its person something, held until the person answers: Claude's AskUserQuestion call
 * at its PermissionRequest hook (the questions themselves: claudeQuestions.ts in @mission/contracts), and an MCP
 * server's request for input at the Elicitation hook (mcpInput.ts). Nothing is typed into the CLI's own forms.
 */

/**
 * What Claude reads when it asks a question in a task asked for one answer (`mission ask`, mission_ask): its asker
 * waits on the task's end and can answer nothing meanwhile, so Claude is told at once rather than wait for nobody.
 */
export const NOBODY_TO_ASK =
  'Nobody can answer questions here: this task was asked for one answer, and whoever asked waits for it without a way to reply meanwhile. Go on with your best judgment and say what you assumed in your answer.';

/** How a held ask ended: answered in full, withdrawn by an interrupt, left unanswered past its window, or hung up by the CLI. */
export type AskEnd = 'answered' | 'withdrawn' | 'unanswered' | 'hung_up';

/**
 * What a hook call held for the session's person puts to them, one dialog at a time (Claude's question, an MCP
 * server's request for input), and the hook's answer at each end. Pure.
 */
export interface PersonAsk {
  /** The dialog shown now. */
  readonly dialog: QuestionDialog;
  /** Takes the answer to the dialog shown: the hook's answer once the whole ask is answered, else null (the next dialog shows). */
  answer(reply: DialogReply): object | null;
  /** The hook's answer when the person interrupts instead of answering. */
  readonly withdrawn: object;
  /** Whether that answer stops Claude's turn itself (else an interrupt presses Esc as for a running turn). */
  readonly withdrawInterrupts: boolean;
  /** The hook's answer when nobody answered within `windowMs`, and the notice that tells so. */
  unanswered(windowMs: number): { answer: object; notice: { kind: string; text: string } };
}

/** Claude's questions (an AskUserQuestion call, its PermissionRequest hook held): the answers go back as the tool's input. */
export class ClaudeQuestionAsk implements PersonAsk {
  readonly withdrawInterrupts = true;
  readonly withdrawn = permissionAnswer({ behavior: 'deny', message: 'The person interrupted instead of answering.', interrupt: true });
  private readonly form: QuestionForm;

  constructor(
    private readonly input: Record<string, unknown>,
    questions: ClaudeQuestion[],
  ) {
    this.form = new QuestionForm(questions);
  }

  get dialog(): QuestionDialog {
    return this.form.dialog;
  }

  answer(reply: DialogReply): object | null {
    if (!this.form.answer(reply)) return null;
    return permissionAnswer({ behavior: 'allow', updatedInput: { ...this.input, answers: this.form.answered } });
  }

  unanswered(windowMs: number): { answer: object; notice: { kind: string; text: string } } {
    const minutes = windowMinutes(windowMs);
    return {
      answer: permissionAnswer({ behavior: 'deny', message: unansweredMessage(windowMs) }),
      notice: {
        kind: 'question_unanswered',
        text: `nobody answered Claude's question within ${minutes} min: Claude was told to go on without it`,
      },
    };
  }
}

/**
 * A hook call of a session's CLI held until its person answers what it asks (`ask`), an interrupt withdraws it, its
 * window passes, or the CLI hangs up. `settled` is the hook's answer, and `ended` how it came.
 */
export class HeldAsk {
  readonly settled: Promise<object>;
  ended: AskEnd | null = null;
  /** The notice that tells nobody answered, once the window passed. */
  unansweredNotice: { kind: string; text: string } | null = null;
  private settle!: (answer: object) => void;
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly ask: PersonAsk,
    windowMs: number,
  ) {
    this.settled = new Promise((resolve) => (this.settle = resolve));
    this.timer = setTimeout(() => {
      const { answer, notice } = ask.unanswered(windowMs);
      this.unansweredNotice = notice;
      this.end('unanswered', answer);
    }, windowMs);
    this.timer.unref();
  }

  /** Takes the answer to the dialog shown: true once everything is answered (and the CLI is given the answers). */
  answer(reply: DialogReply): boolean {
    if (this.ended) throw new ConflictError(`the question is no longer open (${this.ended.replace('_', ' ')})`);
    const answer = this.ask.answer(reply);
    if (!answer) return false;
    this.end('answered', answer);
    return true;
  }

  /** An interrupt: the CLI is told the person interrupted instead of answering. */
  withdraw(): void {
    this.end('withdrawn', this.ask.withdrawn);
  }

  /** The CLI gave up on the call (its connection closed): nobody reads an answer. */
  hangUp(): void {
    this.end('hung_up', NO_DECISION);
  }

  private end(how: AskEnd, answer: object): void {
    if (this.ended) return;
    this.ended = how;
    clearTimeout(this.timer);
    this.settle(answer);
  }
}
