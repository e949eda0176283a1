import type { DialogReply, Session, SessionTurn } from '@mission/contracts';
import { answeredInWords } from '@mission/contracts/sessionHelp';
import { ApiError } from './errors.ts';
import { lastEventSeq, ownerEvents, ownerPath } from './eventFeed.ts';
import type { ApiClient } from './http.ts';
import type { Paint } from './printer.ts';
import { stopHeadline } from './sessionTurn.ts';
import { allowOrRefuse, dialogLines, type TerminalLine, typedReply } from './terminalLine.ts';

/** What the person answers a stopped turn with: the session's confirm (a permission dialog) or its answer (a dialog). */
type Decision = { confirm: 'yes' | 'no'; reason?: string } | { answer: DialogReply };

/**
 * Where a session's turn stops for a person, asked at this terminal (`mission send` in one): a permission dialog
 * (`y`, or `n` and a reason Claude reads), or a dialog answered with an option or in words (Claude's question, an MCP server's request for input).
 * The answer goes to the session (`confirm`, `answer`), which waits for the turn to go on to its end or its next stop.
 * A question someone else answers meanwhile (the console, `mission approve`) is withdrawn: the session's next state
 * event says it moved on.
 */
export class TerminalTurn {
  constructor(
    private readonly api: ApiClient,
    private readonly terminal: TerminalLine,
    private readonly paint: Paint,
    private readonly id: string,
  ) {}

  /** Whether the turn stopped where this terminal can answer. */
  static asksPerson(turn: SessionTurn): boolean {
    return (turn.state === 'waiting_permission' && turn.dialog !== null) || (turn.blocking !== undefined && answeredInWords(turn.blocking));
  }

  /** The turn after the person's answer, or null when someone else answered first. */
  async decide(turn: SessionTurn, timeoutMs: number | undefined): Promise<SessionTurn | null> {
    const withdrawn = new AbortController();
    const watched = this.movedOn(turn.state, withdrawn.signal).then(
      () => withdrawn.abort(),
      (error: Error) => this.terminal.output.write(`${this.paint('dim', `(not watched for answers elsewhere: ${error.message})`)}\n`),
    );
    try {
      for (;;) {
        const decision = await this.ask(turn, withdrawn.signal).catch((error: unknown) => {
          if (withdrawn.signal.aborted) return null;
          throw error;
        });
        if (!decision) {
          this.terminal.output.write(`\n${this.paint('dim', '(answered elsewhere: the session moved on)')}\n`);
          return null;
        }
        try {
          return await this.send(decision, timeoutMs);
        } catch (error) {
          // A key the dialog does not offer: said, and asked again.
          if (!(error instanceof ApiError) || error.code !== 'bad_request') throw error;
          this.terminal.output.write(`${this.paint('red', error.message)}\n`);
        }
      }
    } finally {
      withdrawn.abort();
      await watched;
    }
  }

  /** Puts the stopped turn's dialog to the person and reads their answer. */
  private async ask(turn: SessionTurn, signal: AbortSignal): Promise<Decision> {
    const { output } = this.terminal;
    if (turn.dialog) {
      output.write(`${this.paint('magenta', stopHeadline(this.id, turn))}\n  ${turn.dialog.question}\n`);
      for (;;) {
        const decision = allowOrRefuse(await this.terminal.question('  allow it? y, or n and a reason Claude reads: ', signal));
        if (decision && 'allow' in decision) return { confirm: 'yes' };
        if (decision) return { confirm: 'no', reason: decision.refuse ?? undefined };
        output.write(`${this.paint('red', 'y allows it; n refuses it, and words after n are the reason')}\n`);
      }
    }
    const dialog = turn.blocking!;
    output.write(`${this.paint('magenta', stopHeadline(this.id, turn))}\n`);
    output.write(dialogLines(dialog, this.paint));
    return { answer: typedReply(await this.terminal.question('  your answer: ', signal)) };
  }

  private send(decision: Decision, timeoutMs: number | undefined): Promise<SessionTurn> {
    const path = ownerPath({ kind: 'session', id: this.id });
    if ('confirm' in decision) {
      return this.api.request<SessionTurn>('POST', `${path}/confirm`, { choice: decision.confirm, reason: decision.reason, timeoutMs });
    }
    return this.api.request<SessionTurn>('POST', `${path}/answer`, { ...decision.answer, timeoutMs });
  }

  /**
   * Resolves once the session is no longer in the state it stopped in (`stopped`): at its next state event (its dialog
   * answered, withdrawn or replaced, or the session gone), or at once when it has moved on already. Reads the last
   * stored event's seq, then the session's state (its row and its state event are written together): a move stored
   * before that seq shows in the state read, one after it comes in the stream that follows from it. No replay.
   */
  private async movedOn(stopped: SessionTurn['state'], signal: AbortSignal): Promise<void> {
    const owner = { kind: 'session' as const, id: this.id };
    const last = await lastEventSeq(this.api, owner, signal);
    if (signal.aborted || (await this.api.request<Session>('GET', ownerPath(owner))).state !== stopped) return;
    for await (const event of ownerEvents(this.api, owner, { follow: true, after: last, signal })) if (event.type === 'state') return;
  }
}
