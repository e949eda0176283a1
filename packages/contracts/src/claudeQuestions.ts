import { BadRequestError } from './errors.ts';
import type { BlockingDialogView } from './schemas/sessions.ts';
import { offeredOptions } from './sessions/sessionHelp.ts';

/*
 * Claude's questions to the person: Claude Code's AskUserQuestion tool (1–4 questions, each with 2–4 options, or one
 * pick-any list). The CLI takes the person's answers in its permission answer (`updatedInput.answers`, by question
 * text, as its SDK hosts give them). Seen on Claude Code 2.1.332: answered so, the tool's result reads `Your questions
 * have been answered: "Which database should we use?"="SQLite". …`; allowed without answers, it reads "The user did
 * not answer the questions."
 * No schema library: the web console reads an approval's questions with this module (`@mission/contracts/claudeQuestions`)
 * and keeps zod out of its bundle (it would add 200 kB), so the tool's input is read by hand.
 */

/** A question shown as a blocked session's dialog: its options numbered from 1. */
export type QuestionDialog = BlockingDialogView & { numbered: true; selected: null };

/** Claude Code's tool that puts questions to the person. */
export const ASK_USER_QUESTION = 'AskUserQuestion';

/** A question of AskUserQuestion's input, as the CLI's schema gives it (an absent header or description reads ''). */
export interface ClaudeQuestion {
  question: string;
  /** Its short label (a chip in the CLI's screen: "Database"). */
  header: string;
  options: { label: string; description: string }[];
  /** Several options may be picked. */
  multiSelect: boolean;
}

/** How a person answers a dialog: the key of one of its options (keys separated by commas for a pick-any question), or in words. */
export type DialogReply = { option: string } | { text: string };

/**
 * The questions of an AskUserQuestion call, or null when there is none to put to a person: an input the CLI's schema
 * would not take (Mission leaves it to the CLI), or one that carries its answers already.
 */
export function questionsOf(input: unknown): ClaudeQuestion[] | null {
  // None carries its answers already (the CLI keeps those).
  if (!isRecord(input) || input.answers !== undefined || !Array.isArray(input.questions) || input.questions.length === 0) return null;
  const questions = input.questions.map(questionOf);
  return questions.every((question) => question !== null) ? questions : null;
}

/** The questions a tool use puts to a person: Claude's AskUserQuestion call, with questions left to answer; else null. */
export function questionsAsked(use: { tool: string; input: unknown }): ClaudeQuestion[] | null {
  return use.tool === ASK_USER_QUESTION ? questionsOf(use.input) : null;
}

/** One question of the input, or null when it has no question text or an option without a label. */
function questionOf(raw: unknown): ClaudeQuestion | null {
  if (!isRecord(raw) || typeof raw.question !== 'string' || !Array.isArray(raw.options)) return null;
  const options = raw.options.map((option: unknown) =>
    isRecord(option) && typeof option.label === 'string' ? { label: option.label, description: textOr(option.description) } : null,
  );
  if (!options.every((option) => option !== null)) return null;
  return { question: raw.question, header: textOr(raw.header), options, multiSelect: raw.multiSelect === true };
}

/** A JSON object (not an array, not null): what a tool's input or an MCP form's schema read by hand is checked to be. */
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
/** A string value, or '' for anything else (a field left out). */
export const textOr = (value: unknown): string => (typeof value === 'string' ? value : '');

/** How a question that lets several options be picked says so (its dialog's last line, with what else it takes). */
export const PICK_ANY_HINT = 'Pick any: several keys separated by commas (1,2)';
/** How a question that takes one option says it also takes words. */
export const IN_WORDS_HINT = 'Or an answer in your own words.';

/**
 * One AskUserQuestion call waiting for a person: its questions shown and answered one at a time, as the `question`
 * dialog of a blocked session. Pure.
 */
export class QuestionForm {
  /** One answer per question answered: an option's label, the labels a pick-any question's keys named, or the person's words. */
  private readonly answers: string[] = [];

  constructor(readonly questions: readonly ClaudeQuestion[]) {}

  /** The question waiting for its answer, as the dialog a blocked session shows (its options numbered from 1). */
  get dialog(): QuestionDialog {
    const index = this.answers.length;
    const { question, header, options, multiSelect } = this.current;
    const count = this.questions.length > 1 ? ` (question ${index + 1} of ${this.questions.length})` : '';
    const lines = [
      `${header ? `${header}: ` : ''}${question}${count}`,
      ...options.filter((option) => option.description !== '').map((option) => `${option.label}: ${option.description}`),
      multiSelect ? `${PICK_ANY_HINT}, or an answer in your own words.` : IN_WORDS_HINT,
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

  /** The answers by question text, as the CLI takes them. */
  get answered(): QuestionAnswers {
    return Object.fromEntries(this.questions.map((each, i) => [each.question, this.answers[i] ?? '']));
  }

  private get current(): ClaudeQuestion {
    const question = this.questions[this.answers.length];
    if (!question) throw new Error('every question of the form is answered already');
    return question;
  }

  /**
   * The label of the option `keys` names ("2"), or the labels a pick-any question's keys name ("1,3"), separated by
   * commas as the CLI's schema of the answers says (its own dialog joins them with ", ").
   */
  private picked(keys: string): string {
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
    return labels.join(', ');
  }
}

/** Claude's questions answered: each question's answer by its text (a pick-any question's labels separated by ", "). */
export type QuestionAnswers = Record<string, string>;

/** An answer as a schema reads it (`questionReplySchema`): its words when it has them, else its option key(s). */
export function dialogReply(answer: { option?: string; text?: string }): DialogReply {
  return answer.text === undefined ? { option: answer.option ?? '' } : { text: answer.text };
}

/**
 * Every question of an AskUserQuestion call answered at once (an approval's answers: one per question, in order), as
 * the CLI takes them. A count that is not the questions' or an answer a question does not take is refused, naming it.
 * Pure.
 */
export function answerQuestions(questions: readonly ClaudeQuestion[], replies: readonly DialogReply[]): QuestionAnswers {
  if (replies.length !== questions.length) {
    throw new BadRequestError(
      `Claude asks ${questions.length} question${questions.length === 1 ? '' : 's'}: give one answer for each, in order, not ${replies.length}. ${questionsLine(questions)}`,
    );
  }
  const form = new QuestionForm(questions);
  replies.forEach((reply, i) => {
    try {
      form.answer(reply);
    } catch (error) {
      if (!(error instanceof BadRequestError)) throw error;
      throw new BadRequestError(`answer ${i + 1} (${questions[i]?.question}): ${error.message}`);
    }
  });
  return form.answered;
}

/** A window to answer in, in whole minutes as the person is told it (at least 1). */
export function windowMinutes(windowMs: number): number {
  return Math.max(1, Math.round(windowMs / 60_000));
}

/** What Claude reads when nobody answered its question within the window (as the CLI tells it of a person away). */
export function unansweredMessage(windowMs: number): string {
  const minutes = windowMinutes(windowMs);
  return `Nobody answered within ${minutes} minute${minutes === 1 ? '' : 's'}: the person may be away. Go on with your best judgment and say what you assumed; ask again later if it still matters.`;
}

/** Claude's questions as a message names them: `1. Which database? (1: Postgres; 2: SQLite) 2. …`, pick-any ones marked. */
export function questionsLine(questions: readonly ClaudeQuestion[]): string {
  return questions
    .map(({ question, options, multiSelect }, i) => {
      const keys = offeredOptions(options.map((option, key) => ({ key: String(key + 1), label: option.label })));
      return `${i + 1}. ${question} (${keys}${multiSelect ? '; pick any' : ''})`;
    })
    .join(' ');
}
