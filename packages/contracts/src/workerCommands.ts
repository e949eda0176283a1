import { z } from 'zod';
import { ccSessionSchema } from './schemas/ccRecords.ts';
import { confirmChoices, sessionScreenSchema, sessionTurnSchema } from './schemas/sessions.ts';

/**
 * The commands the API sends to a worker (over `packages/store/src/commandBus.ts`), each defined once: the
 * schema of its arguments (checked by the worker before its handler runs) and of its result (read by the
 * caller). `CommandClient.call` and `CommandServer` take their types from this table.
 *
 * The wire format is what it was before the table: the job's name is the command's name and its data the
 * arguments as they are, so an API and a worker of different versions keep understanding each other. Rename a
 * command or change its arguments only in a way an older peer accepts.
 */
export const workerCommands = {
  /** Types text into the session and waits for the turn to end (or stop at a dialog). */
  send: command(session({ text: z.string(), timeoutMs: z.number().int().positive() }), sessionTurnSchema),
  /** Answers the permission dialog the session shows; `by` is who decided. */
  confirm: command(
    session({ choice: z.enum(confirmChoices), reason: z.string().optional(), timeoutMs: z.number().int().positive(), by: z.string() }),
    sessionTurnSchema,
  ),
  /**
   * Answers the dialog a blocked session shows with one of its options, or Claude's question in words (`text`, with
   * `option` empty: a worker that predates `text` finds no option '' and says so).
   */
  answer: command(session({ option: z.string(), text: z.string().optional(), timeoutMs: z.number().int().positive() }), sessionTurnSchema),
  /** Stops what Claude is doing and waits for its prompt. */
  interrupt: command(session({}), sessionTurnSchema),
  /** The screen, parsed. */
  screen: command(session({}), sessionScreenSchema),
  /** The screen as escape sequences, for a terminal that attaches. */
  serialize: command(session({}), z.string()),
  /** Ends the session's claude; answers how it exited. */
  kill: command(session({}), z.object({ exitCode: z.number().int().nullable(), signal: z.string().nullable() })),
  /** Delivers the messages queued for the session if it is idle; answers at once (the delivery goes on). */
  deliver_messages: command(session({}), z.null()),
  /** Claude Code's own sessions and task lists on the worker's machine. */
  'cc.sessions': command(z.object({}), z.array(ccSessionSchema)),
} as const;

export type WorkerCommands = typeof workerCommands;
export type WorkerCommandName = keyof WorkerCommands;
/** What a caller passes. */
export type WorkerCommandArgs<N extends WorkerCommandName> = z.input<WorkerCommands[N]['args']>;
/** What a handler receives: the arguments once checked. */
export type WorkerCommandParsedArgs<N extends WorkerCommandName> = z.output<WorkerCommands[N]['args']>;
/** What a caller gets back. */
export type WorkerCommandResult<N extends WorkerCommandName> = z.output<WorkerCommands[N]['result']>;
/** The commands on one session (their arguments name it). */
export type SessionCommandName = {
  [N in WorkerCommandName]: WorkerCommandArgs<N> extends { sessionId: string } ? N : never;
}[WorkerCommandName];
/** A session command's arguments besides the session. */
export type SessionCommandArgs<N extends SessionCommandName> = Omit<WorkerCommandArgs<N>, 'sessionId'>;

function command<A extends z.ZodType<Record<string, unknown>>, R extends z.ZodType>(args: A, result: R): { args: A; result: R } {
  return { args, result };
}

function session<S extends z.ZodRawShape>(shape: S) {
  return z.object({ sessionId: z.string(), ...shape });
}
