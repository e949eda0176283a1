import type { Task } from '@mission/contracts';
import type { Command, CommandContext } from '../command.ts';
import { ApiError, cutShort } from '../errors.ts';
import { Spinner } from '../spinner.ts';
import { reportTaskEnd, waitForTask } from '../taskOutcome.ts';
import { atTerminal } from '../terminalLine.ts';

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
nobody can answer. When the API restarts meanwhile (it answers that it shuts down, or the connection is cut), the
task is followed to its end from its events instead, and its answer printed as ever; interrupted from then on, the
command cancels the task itself. --json prints {"answer", "task"}. Exit code 1 when the task does not succeed.`,
  arguments: ['slot', 'prompt'],
  async run(context, { args }) {
    const body = { slot: args.slot, prompt: args.prompt };
    if (atTerminal()) {
      const answered = await ask(context, body, { askerAnswers: true });
      if (answered !== null) return answered;
    }
    return (await ask(context, body, { askerAnswers: false }))!;
  },
};

/**
 * The ask as a stream (`POST /v1/ask`): `task` once it is submitted, then its `answer` or `error`. With
 * `askerAnswers` (`?askerAnswers=true`) Claude's questions wait for the person at this terminal, who answers them here
 * while the task is followed (waitForTask puts them); null when the token may not decide approvals (the API refuses
 * the stream before any task runs). An ask the API could not finish — it shut down (`503`: its task goes on) or the
 * connection was cut — is not lost: its task is followed to its end (its event stream reconnects) and reported as the
 * answer would have been.
 */
async function ask(
  context: CommandContext,
  body: { slot: string | undefined; prompt: string | undefined },
  options: { askerAnswers: boolean },
): Promise<number | null> {
  const abort = new AbortController();
  // Without the person's answers, only a spinner shows the ask waits; with them, the task is followed meanwhile.
  const spinner = options.askerAnswers ? undefined : new Spinner(context.printer.stderr, `asking ${body.slot}`);
  let task: Task | undefined;
  let followed: Promise<Task> | undefined;
  const follow = (submitted: Task): Promise<Task> => {
    if (followed) return followed;
    // The API answered the ask: while it restarts, the task's event stream waits for it (up to a minute).
    followed = waitForTask(context, submitted, { follow: false, reachedBefore: true });
    followed.catch(() => {
      // awaited where it is needed: followingStopped tells its failure, the ask cut rethrows it
    });
    return followed;
  };
  /** Waits for the following to stop: it has put the approvals and said how they were decided; its end is the ask's. */
  const followingStopped = () =>
    followed?.catch((error: Error) =>
      context.printer.note(`mission: the task is no longer followed here (${error.message}); its answer is still awaited`),
    );
  try {
    const path = options.askerAnswers ? '/v1/ask?askerAnswers=true' : '/v1/ask';
    const messages = await context.api.openStream(path, abort.signal, body).catch((error: unknown) => {
      // A token that may not decide approvals cannot answer its task's questions: asked as a script asks (nothing ran).
      if (options.askerAnswers && error instanceof ApiError && error.code === 'forbidden') return null;
      throw error;
    });
    if (!messages) return null;
    try {
      for await (const message of messages) {
        if (message.event === 'task') {
          task = JSON.parse(message.data) as Task;
          // Its approvals are put here while it runs; the ask's own answer says how it ended.
          if (options.askerAnswers) follow(task);
        } else if (message.event === 'answer') {
          const asked = JSON.parse(message.data) as Asked;
          await followingStopped();
          spinner?.stop();
          return reportTaskEnd(context, asked.task, { followed: false, json: asked });
        } else if (message.event === 'error') {
          const { code, message: said } = JSON.parse(message.data) as { code: string; message: string };
          throw new ApiError(code, said);
        }
      }
      throw new AskCut('the API closed the ask before its answer');
    } catch (error) {
      const cut = askCut(error);
      if (!task || !cut) {
        await followingStopped();
        throw error;
      }
      spinner?.stop();
      return await followToItsEnd(context, task, follow(task), cut.message);
    }
  } finally {
    spinner?.stop();
    abort.abort();
  }
}

/** The ask ended before its answer, its task going on (or cancelled by the API, which saw its asker go). */
class AskCut extends Error {}

/** Why the ask ended before its answer, if it was cut: the API shut down, or the connection was. */
function askCut(error: unknown): AskCut | undefined {
  if (error instanceof AskCut) return error;
  const why = cutShort(error);
  return why === undefined ? undefined : new AskCut(why);
}

/**
 * The ask was cut (`why`) with its task running: the task is followed to its end (`ended`) and reported as its answer
 * would have been. The API cancels the task of an ask whose asker goes away; this one's asker is no longer its ask,
 * so an interrupt (Ctrl+C, or SIGTERM from a job runner) cancels the task from here.
 */
async function followToItsEnd(context: CommandContext, task: Task, ended: Promise<Task>, why: string): Promise<number> {
  context.printer.note(`mission: the ask was cut (${why}); following task ${task.id} to its end`);
  const cancelOnInterrupt = (signal: NodeJS.Signals) => {
    context.printer.note(`mission: interrupted; cancelling task ${task.id}`);
    void context.api
      .request('POST', `/v1/tasks/${encodeURIComponent(task.id)}/cancel`)
      .catch((error: Error) => context.printer.note(`mission: could not cancel task ${task.id}: ${error.message}`))
      .finally(() => process.kill(process.pid, signal));
  };
  process.once('SIGINT', cancelOnInterrupt).once('SIGTERM', cancelOnInterrupt);
  try {
    const done = await ended;
    return reportTaskEnd(context, done, { followed: false, json: { answer: done.result, task: done } });
  } finally {
    process.off('SIGINT', cancelOnInterrupt).off('SIGTERM', cancelOnInterrupt);
  }
}
