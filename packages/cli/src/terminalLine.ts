import type { Interface } from 'node:readline/promises';
import type { DialogReply } from '@mission/contracts';
import { OPTION_KEYS } from '@mission/contracts/vocabulary';
import type { Paint } from './printer.ts';

/**
 * Lines typed by the person at this terminal, for a command that puts them a question while it waits: the line reader
 * is opened at the first question (readline, prompts on stderr), and Ctrl+C there ends the command as it would
 * anywhere (readline alone would only pause). Only where both stdin and stderr are a terminal.
 */
export class TerminalLine {
  private readline: Interface | null = null;

  private constructor(
    private readonly input: NodeJS.ReadStream,
    readonly output: NodeJS.WriteStream,
  ) {}

  /** The terminal's line reader when a person can answer there ({@link atTerminal}); else null. */
  static onTerminal(): TerminalLine | null {
    return atTerminal() ? new TerminalLine(process.stdin, process.stderr) : null;
  }

  /** The next line typed after `prompt`, trimmed (empty lines are asked again); `signal` withdraws the question. */
  async question(prompt: string, signal?: AbortSignal): Promise<string> {
    const readline = await this.open();
    for (;;) {
      const typed = (await readline.question(prompt, signal ? { signal } : {})).trim();
      if (typed !== '') return typed;
    }
  }

  /** Done asking: the terminal is let go (the command can end). */
  close(): void {
    this.readline?.close();
    this.readline = null;
  }

  private async open(): Promise<Interface> {
    if (this.readline) return this.readline;
    const { createInterface } = await import('node:readline/promises');
    const readline = createInterface({ input: this.input, output: this.output, terminal: true });
    readline.on('SIGINT', () => process.kill(process.pid, 'SIGINT'));
    this.readline = readline;
    return readline;
  }
}

/** Whether a person is at this command's terminal: both stdin (to answer) and stderr (where questions go) are one. */
export function atTerminal(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

/** An answer to a question as typed (a line, an `--answer`): option keys ("2", "1,3") pick options, anything else is words. */
export function typedReply(typed: string): DialogReply {
  return OPTION_KEYS.test(typed) ? { option: typed } : { text: typed };
}

/** What a line typed at a permission question says: `y` allows, `n` refuses (words after it: the reason), else null. */
export function allowOrRefuse(typed: string): { allow: true } | { refuse: string | null } | null {
  const [word = '', ...reason] = typed.split(/\s+/);
  if (/^y(es)?$/i.test(word) && reason.length === 0) return { allow: true };
  if (/^no?$/i.test(word)) return { refuse: reason.length > 0 ? reason.join(' ') : null };
  return null;
}

/** A dialog as a person reads it at the terminal: its first line (the question), its numbered options, the rest of its text. */
export function dialogLines(dialog: { text: string; options: { key: string; label: string }[] }, paint: Paint): string {
  const [question = '', ...more] = dialog.text.split('\n');
  return [
    `  ${paint('bold', question)}`,
    ...dialog.options.map((option) => `    ${option.key}. ${option.label}`),
    ...more.map((line) => `  ${line}`),
  ]
    .map((line) => `${line}\n`)
    .join('');
}
