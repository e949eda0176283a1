import type { Task } from '@mission/contracts';
import type { Command, CommandContext } from '../command.ts';
import { ApiError } from '../errors.ts';
import { Spinner } from '../spinner.ts';
import { atTerminal } from '../terminalLine.ts';
import { reportTaskEnd, waitForTask } from '../taskOutcome.ts';

interface Asked {
  answer: string | null;
  task: Task;
}

export const askCommand: Command = {
  name: 'ask',
  usage: '<slot> "<prompt>"',
  summary: 'Run a prompt on a slot and print the answer',
  details: `Waits for the answer (up to the API's MISSION_ASK_TIMEOUT_MS; then the task is cancelled, and so it is when
this command is interrupted). In a terminal, what the task waits for meanwhile is put to you there: Claude's question
takes an option's number (several separated by commas where it takes several) or an answer in your own words; a tool
use a rule asks about takes y, or n and the reason Claude reads. Elsewhere (a script, a pipe) Claude is told that
nobody can answer. --json prints {"answer", "task"}. Exit code 1 when the task does not succeed.`,
  arguments: ['slot', 'prompt'],
  async run(context, { args }) {
    const body = { slot: args.slot, prompt: args.prompt };
    if (atTerminal()) {
      const answered = await askAnsweringQuestions(context, body);
      if (answered !== null) return answered;
    }
    const spinner = new Spinner(context.printer.stderr, `asking ${args.slot}`);
    const asked = await context.api.request<Asked>('POST', '/v1/ask', body).finally(() => spinner.stop());
    return reportTaskEnd(context, asked.task, { followed: false, json: asked });
  },
};

/**
 * The ask as a stream (`POST /v1/ask?askerAnswers=true`), its task followed meanwhile: Claude's questions wait for
 * the person at this terminal, who answers them here (waitForTask puts them). Null when the token may not decide
 * approvals (the API refuses the stream before any task runs).
 */
async function askAnsweringQuestions(
  context: CommandContext,
  body: { slot: string | undefined; prompt: string | undefined },
): Promise<number | null> {
  const abort = new AbortController();
  let followed: Promise<unknown> | undefined;
  try {
    const messages = await context.api.openStream('/v1/ask?askerAnswers=true', abort.signal, body).catch((error: unknown) => {
      // A token that may not decide approvals cannot answer its task's questions: asked as a script asks (nothing ran).
      if (error instanceof ApiError && error.code === 'forbidden') return null;
      throw error;
    });
    if (!messages) return null;
    for await (const message of messages) {
      if (message.event === 'task') {
        // Its approvals are put here while it runs; the ask's own answer says how it ended, followed or not.
        followed = waitForTask(context, JSON.parse(message.data) as Task, { follow: false }).catch((error: Error) =>
          context.printer.note(`mission: the task is no longer followed here (${error.message}); its answer is still awaited`),
        );
      } else if (message.event === 'answer') {
        const asked = JSON.parse(message.data) as Asked;
        await followed;
        return reportTaskEnd(context, asked.task, { followed: false, json: asked });
      } else if (message.event === 'error') {
        const { code, message: said } = JSON.parse(message.data) as { code: string; message: string };
        await followed;
        throw new ApiError(code, said);
      }
    }
    throw new ApiError('http_error', 'the API closed the ask before its answer');
  } finally {
    abort.abort();
  }
}
