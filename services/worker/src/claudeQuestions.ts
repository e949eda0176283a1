import { type ClaudeQuestion, ConflictError, type DialogReply, QuestionForm, unansweredMessage } from '@mission/contracts';
import { NO_DECISION, permissionAnswer } from './hooks/hookPayloads.ts';

/*
 * A session's AskUserQuestion call, held at its PermissionRequest hook until the person answers (the questions
 * themselves: claudeQuestions.ts in @mission/contracts). Nothing is typed into the CLI's question screen.
 */

/**
 * What Claude reads when it asks a question in a task asked for one answer (`mission ask`, mission_ask): its asker
 * waits on the task's end and can answer nothing meanwhile, so Claude is told at once rather than wait for nobody.
 */
export const NOBODY_TO_ASK =
  'Nobody can answer questions here: this task was asked for one answer, and whoever asked waits for it without a way to reply meanwhile. Go on with your best judgment and say what you assumed in your answer.';

/** How a held question ended: answered in full, withdrawn by an interrupt, left unanswered past its window, or hung up by the CLI. */
export type QuestionEnd = 'answered' | 'withdrawn' | 'unanswered' | 'hung_up';

/**
 * An AskUserQuestion call of a session's CLI, held (its PermissionRequest hook not answered yet) until its person
 * answers every question, an interrupt withdraws it, its window passes, or the CLI hangs up. `settled` is the hook's
 * answer, and `ended` how it came.
 */
export class HeldQuestion {
  readonly form: QuestionForm;
  /** The PermissionRequest hook's answer, once the question ended. */
  readonly settled: Promise<object>;
  ended: QuestionEnd | null = null;
  private settle!: (answer: object) => void;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly input: Record<string, unknown>,
    questions: ClaudeQuestion[],
    readonly windowMs: number,
  ) {
    this.form = new QuestionForm(questions);
    this.settled = new Promise((resolve) => (this.settle = resolve));
    this.timer = setTimeout(
      () => this.end('unanswered', permissionAnswer({ behavior: 'deny', message: unansweredMessage(windowMs) })),
      windowMs,
    );
    this.timer.unref();
  }

  /** Takes the answer to the question shown: true once every question has its answer (and the CLI is given them). */
  answer(reply: DialogReply): boolean {
    if (this.ended) throw new ConflictError(`Claude's question is no longer open (${this.ended.replace('_', ' ')})`);
    if (!this.form.answer(reply)) return false;
    this.end('answered', permissionAnswer({ behavior: 'allow', updatedInput: { ...this.input, answers: this.form.answered } }));
    return true;
  }

  /** An interrupt: Claude is told the person interrupted instead of answering, and its turn stops. */
  withdraw(): void {
    this.end('withdrawn', permissionAnswer({ behavior: 'deny', message: 'The person interrupted instead of answering.', interrupt: true }));
  }

  /** The CLI gave up on the call (its connection closed): nobody reads an answer. */
  hangUp(): void {
    this.end('hung_up', NO_DECISION);
  }

  private end(how: QuestionEnd, answer: object): void {
    if (this.ended) return;
    this.ended = how;
    clearTimeout(this.timer);
    this.settle(answer);
  }
}
