import { describe, expect, it } from 'vitest';
import { endedSessionStates, sessionStates } from '../schemas/sessions.ts';
import { assertSessionMove, canMoveSession, liveSessionStates, sessionStatesMovingTo, sessionTransitions } from './sessionTransitions.ts';

describe('session transitions', () => {
  it('lists every state; the live ones are those that have not ended', () => {
    expect(Object.keys(sessionTransitions).sort()).toEqual([...sessionStates].sort());
    expect([...liveSessionStates, ...endedSessionStates].sort()).toEqual([...sessionStates].sort());
  });

  it('allows exactly the moves of the session life cycle', () => {
    const allowed = sessionStates.flatMap((from) => sessionStates.filter((to) => canMoveSession(from, to)).map((to) => `${from}→${to}`));
    const live = ['starting', 'idle', 'working', 'waiting_permission', 'blocked'];
    const expected = [
      ...live.flatMap((from) => [...live.filter((to) => to !== from), 'exited', 'lost'].map((to) => `${from}→${to}`)),
      'exited→starting',
      'lost→starting',
    ];
    expect(allowed.sort()).toEqual(expected.sort());
  });

  it('never moves a state to itself; an ended session only starts again (resumed)', () => {
    for (const state of sessionStates) expect(canMoveSession(state, state)).toBe(false);
    expect(canMoveSession('exited', 'idle')).toBe(false);
    expect(canMoveSession('lost', 'exited')).toBe(false);
    expect(canMoveSession('exited', 'lost')).toBe(false);
  });

  it('names the states a move may come from', () => {
    expect(sessionStatesMovingTo('lost').sort()).toEqual([...liveSessionStates].sort());
    expect(sessionStatesMovingTo('starting').sort()).toEqual(['blocked', 'exited', 'idle', 'lost', 'waiting_permission', 'working']);
  });

  it('throws in Mission’s words on a move it does not allow', () => {
    expect(() => assertSessionMove('exited', 'idle')).toThrow('a session cannot move from exited to idle');
    expect(() => assertSessionMove('lost', 'starting')).not.toThrow();
  });
});
