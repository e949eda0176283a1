import { BadRequestError, ConflictError, offeredOptions } from '@mission/contracts';
import { z } from 'zod';
import { NO_DECISION, permissionAnswer } from './hooks/hookPayloads.ts';
import type { BlockingDialog } from './pty/blockingDialog.ts';

/*
 * Claude's questions to the person: Claude Code's AskUserQuestion tool (1–4 questions, each with 2–4 options, or one
 * pick-any list). The CLI asks for the tool's permission through the PermissionRequest hook, and takes the person's
 * answers in the hook's answer (`updatedInput.answers`, by question text, as its SDK hosts give them): nothing is
 * typed into its question screen. Seen on Claude Code 2.1.332: answered so, the tool's result reads `Your questions
 * have been answered: "Which database should we use?"="SQLite". …`; allowed without answers, it reads "The user did
 * not answer the questions."
 */

/** Claude Code's tool that puts questions to the person. */
export const ASK_USER_QUESTION = 'AskUserQuestion';

/** A question of AskUserQuestion's input, as the CLI's schema gives it (an absent header or description reads ''). */
const questionSchema = z.object({
  question: z.string(),
  /** Its short label (a chip in the CLI's screen: "Database"). */
  header: z.string().catch(''),
  options: z.array(z.object({ label: z.string(), description: z.string().catch('') })),
  /** Several options may be picked. */
  multiSelect: z.boolean().catch(false),
});
export type ClaudeQuestion = z.infer<typeof questionSchema>;

/** An input with questions to put to a person: none carries its answers already (the CLI keeps those). */
const unansweredSchema = z.object({ questions: z.array(questionSchema).min(1), answers: z.never().optional() });

/**
 * What a task's Claude reads when it asks a question (its permission prompt answers at once, no approval: an
 * approval cannot carry an answer, and a "yes" to it gave Claude "The user did not answer the questions.").
 */
export const NO_PERSON_IN_A_TASK =
  'Nobody can answer questions here: this is a Mission task, run without a person at hand. Go on with your best judgment and say what you assumed in your answer.';

/** How a person answers a dialog: the key of one of its options (keys separated by commas for a pick-any question), or in words. */
export type DialogReply = { option: string } | { text: string };

/**
 * The questions of an AskUserQuestion call, or null when there is none to put to a person: an input the CLI's schema
 * would not take (Mission leaves it to the CLI), or one that carries its answers already.
 */
export function questionsOf(input: Record<string, unknown>): ClaudeQuestion[] | null {
  const parsed = unansweredSchema.safeParse(input);
  return parsed.success ? parsed.data.questions : null;
}

/**
 * One AskUserQuestion call waiting for a person: its questions shown and answered one at a time, as the `question`
 * dialog of a blocked session. Pure.
 */
export class QuestionForm {
  /** One answer per question answered: an option's label, the labels a pick-any question's keys named, or the person's words. */
  private readonly answers: (string | string[])[] = [];

  constructor(readonly questions: readonly ClaudeQuestion[]) {}

  /** The question waiting for its answer, as the dialog a blocked session shows (its options numbered from 1). */
  get dialog(): BlockingDialog {
    const index = this.answers.length;
    const { question, header, options, multiSelect } = this.current;
    const count = this.questions.length > 1 ? ` (question ${index + 1} of ${this.questions.length})` : '';
    const lines = [
      `${header ? `${header}: ` : ''}${question}${count}`,
      ...options.filter((option) => option.description !== '').map((option) => `${option.label}: ${option.description}`),
      multiSelect ? 'Pick any: several keys separated by commas (1,2), or an answer in your own words.' : 'Or an answer in your own words.',
    ];
    return {
      kind: 'question',
      text: lines.join('\n'),
      options: options.map((option, i) => ({ key: String(i + 1), label: option.label })),
      numbered: true,
      selected: null,
    };
  }

  /** Takes the answer to the question shown: true once every question has its answer. */
  answer(reply: DialogReply): boolean {
    this.answers.push('text' in reply ? reply.text : this.picked(reply.option));
    return this.answers.length === this.questions.length;
  }

  /** The answers by question text, as the CLI takes them (a pick-any question's labels as a list: the CLI joins them itself). */
  get answered(): Record<string, string | string[]> {
    return Object.fromEntries(this.questions.map((each, i) => [each.question, this.answers[i] ?? '']));
  }

  private get current(): ClaudeQuestion {
    const question = this.questions[this.answers.length];
    if (!question) throw new Error('every question of the form is answered already');
    return question;
  }

  /** The label of the option `keys` names ("2"), or the labels a pick-any question's keys name ("1,3"). */
  private picked(keys: string): string | string[] {
    const { options, multiSelect } = this.current;
    const offered = () => offeredOptions(this.dialog.options);
    const picks = [...new Set(keys.split(','))];
    if (picks.length > 1 && !multiSelect)
      throw new BadRequestError(`the question takes one option, not ${picks.length} (${keys}); it offers ${offered()}`);
    const labels = picks.map((key) => {
      const option = options[Number(key) - 1];
      if (!/^\d+$/.test(key) || !option) throw new BadRequestError(`the question has no option '${key}'; it offers ${offered()}`);
      return option.label;
    });
    return multiSelect ? labels : (labels[0] ?? '');
  }
}

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
    this.timer = setTimeout(() => this.end('unanswered', unansweredAnswer(windowMs)), windowMs);
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

/** What Claude reads when nobody answered its question within the window (as the CLI tells it of a person away). */
function unansweredAnswer(windowMs: number): object {
  const minutes = Math.max(1, Math.round(windowMs / 60_000));
  return permissionAnswer({
    behavior: 'deny',
    message: `Nobody answered within ${minutes} minute${minutes === 1 ? '' : 's'}: the person may be away. Go on with your best judgment and say what you assumed; ask again later if it still matters.`,
  });
}
