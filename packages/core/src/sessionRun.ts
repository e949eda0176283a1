import { type Caller, parseInput, type Session, sessionRunSchema } from '@mission/contracts';
import type { Logger } from '@mission/store';
import type { SessionService } from './sessions.ts';

export interface SessionRunResult {
  /** The session, ended (its events and Claude Code's transcript are kept). */
  session: Session;
  /** Claude's answer to the prompt. */
  response: string | null;
}

/**
 * One prompt in a temporary session: spawns it, sends the prompt, waits for the answer, then ends the
 * session whatever happened (an error or a timeout too).
 */
export async function runInTemporarySession(
  { sessions, logger }: { sessions: SessionService; logger: Logger },
  body: unknown,
  caller?: Caller,
): Promise<SessionRunResult> {
  const input = parseInput(sessionRunSchema, body, 'run');
  const spawned = await sessions.spawn({ slot: input.slot }, { caller, temporary: true });
  try {
    const turn = await sessions.send(spawned.id, { text: input.prompt, timeoutMs: input.timeoutMs });
    return { session: await sessions.kill(spawned.id), response: turn.response };
  } catch (error) {
    await sessions
      .kill(spawned.id)
      .catch((killError) =>
        logger.warn(
          { err: killError, sessionId: spawned.id },
          `could not end the temporary session after its run failed: kill it with POST /v1/sessions/${spawned.id}/kill`,
        ),
      );
    throw error;
  }
}
