import type { MissionEvent, PendingApproval, SessionScreen, SessionState, SessionTurn } from '@mission/contracts';
import { ownerEvents, ownerPath } from './eventFeed.ts';
import type { ApiClient } from './http.ts';

/** Where a followed turn came to: its state, Claude's reply, and the approval a permission dialog waits for. */
export interface TurnReached {
  state: SessionState;
  response: string | null;
  approval: PendingApproval | null;
}

/** States in which a turn goes on: Claude works (a resumed claude comes up `starting` first). */
const TURN_GOES_ON: ReadonlySet<SessionState> = new Set(['working', 'starting']);
/** States that end it whether or not the turn was seen to begin. */
const SESSION_ENDED: ReadonlySet<SessionState> = new Set(['exited', 'lost']);

/**
 * A session's turn read from the events stored after its text was sent, one at a time: it begins when Claude takes the
 * prompt (`user_message`, or the session `working`) and ends, or stops for a person, at its next state event that is
 * not `working`; its reply is Claude's last message in it (not a subagent's). Pure.
 */
export class TurnEvents {
  private began = false;
  private response: string | null = null;
  private approval: PendingApproval | null = null;

  /** Where the turn came to once `event` is read; null while it goes on. */
  read(event: MissionEvent): TurnReached | null {
    if (event.type === 'user_message') this.began = true;
    else if (event.type === 'assistant_message' && this.began && !event.payload.subagent) this.response = event.payload.text;
    else if (event.type === 'approval_requested' && this.began)
      this.approval = { id: event.payload.approvalId, expiresAt: event.payload.expiresAt };
    else if (event.type === 'state') {
      const state = event.payload.state as SessionState;
      if (state === 'working') this.began = true;
      else if (SESSION_ENDED.has(state) || (this.began && !TURN_GOES_ON.has(state)))
        return { state, response: this.response, approval: state === 'waiting_permission' ? this.approval : null };
    }
    return null;
  }
}

/**
 * A send the API could not answer (it restarted meanwhile; the text had gone to the session's worker, which goes on
 * with the turn): the session's events after `after` (its last one before the send) followed, through the API's
 * restart, to where the turn ends or stops for a person, and answered as the send would have been — a dialog or
 * question it stops at read off the session's screen. Null when no end of a turn came within `timeoutMs`.
 */
export async function followTurn(api: ApiClient, id: string, after: number, timeoutMs: number): Promise<SessionTurn | null> {
  const owner = { kind: 'session' as const, id };
  const turn = new TurnEvents();
  const signal = AbortSignal.timeout(timeoutMs);
  for await (const event of ownerEvents(api, owner, { follow: true, after, signal, reachedBefore: true })) {
    const reached = turn.read(event);
    if (!reached) continue;
    if (reached.state !== 'waiting_permission' && reached.state !== 'blocked') return { ...reached, dialog: null };
    const screen = await api.request<SessionScreen>('GET', `${ownerPath(owner)}/screen?format=json`);
    return { ...reached, dialog: screen.dialog, ...(screen.blocking ? { blocking: screen.blocking } : {}) };
  }
  return null;
}
