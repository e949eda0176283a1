import type { MissionEvent } from '@mission/contracts';
import { describe, expect, it } from 'vitest';
import { type TurnReached, TurnEvents } from './followedTurn.ts';

let seq = 0;
const event = (type: MissionEvent['type'], payload: unknown): MissionEvent =>
  ({ seq: ++seq, ownerKind: 'session', ownerId: 'ses_1', type, payload, at: '2026-12-06T19:00:00.000Z' }) as MissionEvent;
const state = (value: string) => event('state', { state: value });

/** Where the turn came to after each event, in order: null while it goes on. */
function readAll(events: MissionEvent[]): (TurnReached | null)[] {
  const turn = new TurnEvents();
  return events.map((e) => turn.read(e));
}

describe('TurnEvents: a send that was cut, read from the events after it', () => {
  it("ends at the first state after the prompt that is not working: Claude's last own message is the reply", () => {
    const reached = readAll([
      event('user_message', { text: 'what changed?' }),
      state('working'),
      event('assistant_message', { text: 'Looking.' }),
      event('assistant_message', { text: 'A subagent looked.', subagent: { id: 'a1', type: 'Explore' } }),
      event('assistant_message', { text: 'Two files changed.' }),
      state('idle'),
    ]);
    expect(reached.slice(0, -1)).toEqual([null, null, null, null, null]);
    expect(reached.at(-1)).toEqual({ state: 'idle', response: 'Two files changed.', approval: null });
  });

  it("the state the session was in before the prompt is no end of the turn; the session's own end is one", () => {
    expect(readAll([state('idle'), state('blocked')])).toEqual([null, null]);
    expect(readAll([state('idle'), state('exited')]).at(-1)).toEqual({ state: 'exited', response: null, approval: null });
  });

  it('stops at a permission dialog, with the approval it waits for, or at a dialog that blocks it', () => {
    const reached = readAll([
      state('working'),
      event('approval_requested', { approvalId: 'apr_1', tool: 'Bash', input: {}, rule: null, expiresAt: '2026-12-06T19:15:00.000Z' }),
      state('waiting_permission'),
    ]);
    expect(reached.at(-1)).toEqual({
      state: 'waiting_permission',
      response: null,
      approval: { id: 'apr_1', expiresAt: '2026-12-06T19:15:00.000Z' },
    });
    expect(readAll([state('working'), state('blocked')]).at(-1)).toEqual({ state: 'blocked', response: null, approval: null });
  });
});
