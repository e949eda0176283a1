import type { Interface } from 'node:readline/promises';
import type { DialogReply, EventPayload } from '@mission/contracts';
import { QuestionForm, questionsAsked } from '@mission/contracts/claudeQuestions';
import { OPTION_KEYS } from '@mission/contracts/vocabulary';
import { ApiError } from './errors.ts';
import type { ApiClient } from './http.ts';
import type { Paint } from './printer.ts';

type Asked = Pick<EventPayload<'approval_requested'>, 'approvalId' | 'tool' | 'input'>;

/** What keeps the line while a question is put (the command's spinner): off it meanwhile. */
interface Line {
  pause(): void;
  resume(): void;
}

/**
 * Claude's questions put to the person at this terminal while a command waits for its task (`submit --wait`, `ask`):
 * each question of an approval that waits for Claude's AskUserQuestion is printed with its options, a line is read for
 * it (an option's number — several separated by commas where it takes several — or an answer in the person's own
 * words), and the approval is approved with the answers, as `mission approve --answer` does. One approval at a time,
 * in the order asked. A question decided meanwhile by someone else (the console, `mission approve`) is withdrawn.
 */
export class TerminalQuestions {
  private readonly waiting: Asked[] = [];
  private putting: { approvalId: string; withdrawn: AbortController } | null = null;
  private readline: Interface | null = null;
  private closed = false;

  constructor(
    private readonly api: ApiClient,
    private readonly input: NodeJS.ReadStream,
    private readonly output: NodeJS.WriteStream,
    private readonly paint: Paint,
    private readonly line: Line,
  ) {}

  /** The terminal's questions when both stdin and stderr are a terminal (a person can answer there); else null. */
  static onTerminal(api: ApiClient, paint: Paint, line: Line): TerminalQuestions | null {
    return process.stdin.isTTY && process.stderr.isTTY ? new TerminalQuestions(api, process.stdin, process.stderr, paint, line) : null;
  }

  /** An approval the task waits for: put to the person when it is Claude's question. */
  asked(approval: Asked): void {
    if (this.closed || !questionsAsked(approval)) return;
    this.waiting.push(approval);
    if (!this.putting) void this.putNext();
  }

  /** An approval decided (by anyone): not put, or withdrawn if it is being put. */
  decided(approvalId: string, by: string): void {
    const queued = this.waiting.findIndex((approval) => approval.approvalId === approvalId);
    if (queued >= 0) this.waiting.splice(queued, 1);
    if (this.putting?.approvalId === approvalId) this.putting.withdrawn.abort(by);
  }

  /** The command is done waiting: nothing more is put, the question being put is withdrawn. */
  close(): void {
    this.closed = true;
    this.waiting.length = 0;
    this.putting?.withdrawn.abort(null);
    this.readline?.close();
    this.readline = null;
  }

  private async putNext(): Promise<void> {
    const approval = this.waiting.shift();
    if (!approval || this.closed) return;
    const withdrawn = new AbortController();
    this.putting = { approvalId: approval.approvalId, withdrawn };
    this.line.pause();
    try {
      await this.put(approval, withdrawn.signal);
    } catch (error) {
      if (!withdrawn.signal.aborted)
        // Not answered from here (the API unreachable a moment, say): the approval still waits, and is answered elsewhere.
        this.output.write(
          `${this.paint('red', `mission: the answer was not sent (${(error as Error).message}); answer with \`mission approve ${approval.approvalId} --answer …\``)}\n`,
        );
      else if (withdrawn.signal.reason !== null)
        this.output.write(`\n${this.paint('dim', `(answered elsewhere, by ${String(withdrawn.signal.reason)})`)}\n`);
    } finally {
      this.putting = null;
      if (!this.closed) this.line.resume();
    }
    await this.putNext();
  }

  /** Asks each question of the approval in turn, then approves it with the answers (again from the first, if refused). */
  private async put(approval: Asked, signal: AbortSignal): Promise<void> {
    const questions = questionsAsked(approval)!;
    for (;;) {
      const form = new QuestionForm(questions);
      const replies: DialogReply[] = [];
      this.output.write(`${this.paint('magenta', `Claude asks (approval ${approval.approvalId}):`)}\n`);
      for (let done = false; !done; ) {
        const reply = await this.ask(form, signal);
        try {
          done = form.answer(reply);
          replies.push(reply);
        } catch (error) {
          // A key the question does not offer: said, and the same question asked again.
          this.output.write(`${this.paint('red', (error as Error).message)}\n`);
        }
      }
      try {
        await this.api.request('POST', `/v1/approvals/${encodeURIComponent(approval.approvalId)}/approve`, { answers: replies });
        this.output.write(`${this.paint('green', `answered: ${Object.values(form.answered).join('; ')}`)}\n`);
        return;
      } catch (error) {
        if (!(error instanceof ApiError) || error.code !== 'bad_request') throw error;
        this.output.write(`${this.paint('red', error.message)}\n`);
      }
    }
  }

  /** One question as the form shows it now, and the line typed for it (an empty line asks again). */
  private async ask(form: QuestionForm, signal: AbortSignal): Promise<DialogReply> {
    const { text, options } = form.dialog;
    const [question = '', ...more] = text.split('\n');
    this.output.write(
      [
        `  ${this.paint('bold', question)}`,
        ...options.map((option) => `    ${option.key}. ${option.label}`),
        ...more.map((line) => `  ${line}`),
      ]
        .map((line) => `${line}\n`)
        .join(''),
    );
    const readline = await this.terminal();
    for (;;) {
      const typed = (await readline.question('  your answer: ', { signal })).trim();
      if (typed !== '') return OPTION_KEYS.test(typed) ? { option: typed } : { text: typed };
    }
  }

  /** The terminal's line reader, opened at the first question; Ctrl+C there ends the command as it would anywhere. */
  private async terminal(): Promise<Interface> {
    if (this.readline) return this.readline;
    const { createInterface } = await import('node:readline/promises');
    const readline = createInterface({ input: this.input, output: this.output, terminal: true });
    readline.on('SIGINT', () => process.kill(process.pid, 'SIGINT'));
    this.readline = readline;
    return readline;
  }
}
