import type { ClaudeQuestion, DialogReply, EventPayload } from '@mission/contracts';
import { QuestionForm, questionsAsked } from '@mission/contracts/claudeQuestions';
import { ApiError } from './errors.ts';
import type { ApiClient } from './http.ts';
import type { Paint } from './printer.ts';
import { allowOrRefuse, dialogLines, TerminalLine, typedReply } from './terminalLine.ts';

/** An approval to put, as its `approval_requested` event tells it; `heading`, a line said first (whose it is, what for). */
type Asked = Pick<EventPayload<'approval_requested'>, 'approvalId' | 'tool' | 'input'> & { heading?: string };

/** What keeps the line while a question is put (the command's spinner): off it meanwhile. */
interface Line {
  pause(): void;
  resume(): void;
}

/**
 * The approvals a command's task waits for, put to the person at this terminal while the command waits (`submit
 * --wait` or `--follow`, `ask`), or every pending one (`approvals --decide`), one at a time in the order asked, each
 * decided as `mission approve` would:
 * - Claude's question (its AskUserQuestion): each question printed with its options and a line read for it (an
 *   option's number — several separated by commas where it takes several — or an answer in the person's own words);
 *   the approval is approved with the answers.
 * - a tool use a rule asked a person about: `y` approves it, `n` denies it (words after it are the reason Claude reads).
 * One decided meanwhile by someone else (the console, `mission approve`) is withdrawn, saying by whom.
 */
export class TerminalApprovals {
  private readonly waiting: Asked[] = [];
  private putting: { approvalId: string; withdrawn: AbortController } | null = null;
  private closed = false;
  /** Those waiting for every approval asked so far to be put. */
  private readonly drainWaiters: (() => void)[] = [];
  private readonly output: NodeJS.WriteStream;

  private constructor(
    private readonly api: ApiClient,
    private readonly terminal: TerminalLine,
    private readonly paint: Paint,
    private readonly line: Line,
  ) {
    this.output = terminal.output;
  }

  /** The terminal's approvals when a person can answer there (TerminalLine.onTerminal); else null. */
  static onTerminal(api: ApiClient, paint: Paint, line: Line): TerminalApprovals | null {
    const terminal = TerminalLine.onTerminal();
    return terminal ? new TerminalApprovals(api, terminal, paint, line) : null;
  }

  /** An approval the task waits for: put to the person after those before it. */
  asked(approval: Asked): void {
    if (this.closed) return;
    this.waiting.push(approval);
    if (!this.putting) void this.putNext();
  }

  /** An approval decided (by anyone): not put, or withdrawn if it is being put. */
  decided(approvalId: string, by: string): void {
    const queued = this.waiting.findIndex((approval) => approval.approvalId === approvalId);
    if (queued >= 0) this.waiting.splice(queued, 1);
    if (this.putting?.approvalId === approvalId) this.putting.withdrawn.abort(by);
  }

  /** Resolves once every approval asked so far has been put (decided here or elsewhere, or not sent). */
  drained(): Promise<void> {
    if (!this.putting && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** The command is done waiting: nothing more is put, the question being put is withdrawn. */
  close(): void {
    this.closed = true;
    this.waiting.length = 0;
    this.putting?.withdrawn.abort(null);
    this.terminal.close();
  }

  private async putNext(): Promise<void> {
    const approval = this.waiting.shift();
    if (!approval || this.closed) {
      for (const drained of this.drainWaiters.splice(0)) drained();
      return;
    }
    const withdrawn = new AbortController();
    this.putting = { approvalId: approval.approvalId, withdrawn };
    this.line.pause();
    if (approval.heading) this.output.write(`${approval.heading}\n`);
    try {
      await this.put(approval, withdrawn.signal);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'conflict')
        // Decided (or expired) before this answer reached it: theirs holds.
        this.output.write(`${this.paint('dim', `(decided elsewhere: ${error.message})`)}\n`);
      else if (!withdrawn.signal.aborted)
        // Not decided from here (the API unreachable a moment, a token that may not decide): it still waits, for elsewhere.
        this.output.write(
          `${this.paint('red', `mission: not decided from here (${(error as Error).message}); decide it with \`mission approve ${approval.approvalId}\``)}\n`,
        );
      else if (withdrawn.signal.reason !== null)
        this.output.write(`\n${this.paint('dim', `(decided elsewhere, by ${String(withdrawn.signal.reason)})`)}\n`);
    } finally {
      this.putting = null;
      if (!this.closed) this.line.resume();
    }
    await this.putNext();
  }

  private async put(approval: Asked, signal: AbortSignal): Promise<void> {
    const questions = questionsAsked(approval);
    if (questions) await this.putQuestions(approval.approvalId, questions, signal);
    else await this.putToolUse(approval, signal);
  }

  /** Asks each question in turn, then approves the approval with the answers (again from the first, if refused). */
  private async putQuestions(approvalId: string, questions: ClaudeQuestion[], signal: AbortSignal): Promise<void> {
    for (;;) {
      const form = new QuestionForm(questions);
      const replies: DialogReply[] = [];
      this.output.write(`${this.paint('magenta', `Claude asks (approval ${approvalId}):`)}\n`);
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
        await this.decide(approvalId, 'approve', { answers: replies });
        this.output.write(`${this.paint('green', `answered: ${Object.values(form.answered).join('; ')}`)}\n`);
        return;
      } catch (error) {
        if (!(error instanceof ApiError) || error.code !== 'bad_request') throw error;
        this.output.write(`${this.paint('red', error.message)}\n`);
      }
    }
  }

  /** A tool use: `y` approves it, `n` (and the reason) denies it; anything else asks again. */
  private async putToolUse(approval: Asked, signal: AbortSignal): Promise<void> {
    for (;;) {
      const typed = await this.terminal.question(
        `  ${approval.approvalId}: approve ${approval.tool}? y, or n and a reason Claude reads: `,
        signal,
      );
      const decision = allowOrRefuse(typed);
      if (decision && 'allow' in decision) {
        await this.decide(approval.approvalId, 'approve', {});
        this.output.write(`${this.paint('green', `approved: ${approval.tool}`)}\n`);
        return;
      }
      if (decision) {
        await this.decide(approval.approvalId, 'deny', decision.refuse ? { reason: decision.refuse } : {});
        this.output.write(`${this.paint('red', `denied: ${approval.tool}`)}\n`);
        return;
      }
      this.output.write(`${this.paint('red', 'y approves it; n denies it, and words after n are the reason')}\n`);
    }
  }

  private async decide(approvalId: string, verdict: 'approve' | 'deny', body: object): Promise<void> {
    await this.api.request('POST', `/v1/approvals/${encodeURIComponent(approvalId)}/${verdict}`, body);
  }

  /** One question as the form shows it now, and the line typed for it (an empty line asks again). */
  private async ask(form: QuestionForm, signal: AbortSignal): Promise<DialogReply> {
    this.output.write(dialogLines(form.dialog, this.paint));
    return typedReply(await this.terminal.question('  your answer: ', signal));
  }
}
