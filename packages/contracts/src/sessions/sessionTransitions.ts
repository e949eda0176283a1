import { type SessionState, sessionStates } from '../schemas/sessions.ts';

/** The states of a session whose claude runs (or is about to): every state but `exited` and `lost`. */
export const liveSessionStates = sessionStates.filter((state) => state !== 'exited' && state !== 'lost') as Exclude<
  SessionState,
  'exited' | 'lost'
>[];

const liveMoves = (from: SessionState): SessionState[] => [...liveSessionStates.filter((to) => to !== from), 'exited', 'lost'];

/**
 * Every move a session's state may make, written once: what SessionStore checks each transition against.
 * A session is created `starting`. While its claude runs, the state is read off its hooks or its screen,
 * so a live state may follow any other (the screen driver reads a redraw without the prompt box as
 * `starting` again). A live session exits (its claude ended, it was killed, it never started) or is lost
 * (its worker was lost, or no worker took it). An ended session moves only back to `starting`, resumed.
 */
export const sessionTransitions = {
  starting: liveMoves('starting'),
  idle: liveMoves('idle'),
  working: liveMoves('working'),
  waiting_permission: liveMoves('waiting_permission'),
  blocked: liveMoves('blocked'),
  exited: ['starting'],
  lost: ['starting'],
} as const satisfies Record<SessionState, readonly SessionState[]>;

/** The state a session is created in. */
export const initialSessionState: SessionState = 'starting';

export function canMoveSession(from: SessionState, to: SessionState): boolean {
  return (sessionTransitions[from] as readonly SessionState[]).includes(to);
}

/** The states a session may move to `to` from: the guard of a transition whose row may be in any of them. */
export function sessionStatesMovingTo(to: SessionState): SessionState[] {
  return sessionStates.filter((from) => canMoveSession(from, to));
}

/** Throws on a move the table does not allow: a mistake in Mission's code, not in anyone's input. */
export function assertSessionMove(from: SessionState, to: SessionState): void {
  if (!canMoveSession(from, to)) throw new Error(`a session cannot move from ${from} to ${to}`);
}
