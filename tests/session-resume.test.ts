import type { MissionEvent, Session, SessionTurn } from '@mission/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { lastCostState, transcriptsOf } from './support/claudeEnv.ts';
import { startCpuLoad } from './support/cpuLoad.ts';
import { executableOf, parentOf, processesIn, waitUntil } from './support/processes.ts';
import { readSse } from './support/sse.ts';
import { scriptByPrompt } from './support/stubAnthropic.ts';

/** A session whose claude dies under it (kill -9), resumed: one history, and the exit said as it was. */
describe('kill -9 of claude, then resume (real claude CLI, under CPU load)', () => {
  let bed: ClaudeTestBed;

  beforeAll(async () => {
    bed = await startClaudeTestBed();
  });
  afterAll(async () => {
    await bed?.close();
  });

  const call = <T>(method: string, route: string, body?: unknown) => bed.system.call<T>(method, route, body);
  const stateOf = async (id: string) => (await call<Session>('GET', `/v1/sessions/${id}`)).body.state;
  /** Waits for the session's state; a wait that times out says what the session did last and what its screen showed. */
  const waitForState = async (id: string, state: Session['state']) => {
    try {
      await waitUntil(async () => (await stateOf(id)) === state, 60_000, `session ${id} to be ${state}`);
    } catch (error) {
      const last = (await bed.system.core.events.list(id, 0, { limit: 10_000 })).slice(-8);
      const screen = await bed.system.fetch(`/v1/sessions/${id}/screen`);
      const shown = screen.ok ? (await screen.text()).split('\n').slice(-12).join('\n') : `(screen: ${screen.status})`;
      throw new Error(
        `${(error as Error).message}; its last events: ${last.map((e) => `${e.type} ${JSON.stringify(e.payload)}`).join(' | ')}; its screen:\n${shown}`,
      );
    }
  };
  async function send(id: string, text: string): Promise<SessionTurn> {
    const turn = await call<SessionTurn>('POST', `/v1/sessions/${id}/send`, { text, timeoutMs: 60_000 });
    expect(turn.status).toBe(200);
    return turn.body;
  }
  /**
   * The claude process of a session running in the bed's folder: not the MCP servers or shells it started, nor the
   * claude processes it starts for its own errands while it settles.
   */
  function claudePid(before: Set<number>): number {
    const claudes = processesIn(bed.workdir).filter((pid) => !before.has(pid) && executableOf(pid)?.endsWith('claude.exe') === true);
    const sessions = claudes.filter((pid) => !claudes.includes(parentOf(pid)));
    expect(sessions).toHaveLength(1);
    return sessions[0]!;
  }

  it('a claude killed before it saved its conversation is resumed into a new one, and the session says so', async () => {
    const replies = scriptByPrompt(bed.stub);
    replies['after the loss'] = [{ text: 'Fresh start.' }];
    const before = new Set(processesIn(bed.workdir));
    const spawned = await call<Session>('POST', '/v1/sessions', { slot: 'default' });
    expect(spawned.status).toBe(201);
    const id = spawned.body.id;
    let claudeSessionId: string | null = null;
    const stopLoad = startCpuLoad();
    try {
      await waitForState(id, 'idle');
      // The CLI writes its transcript once a prompt is submitted (then every 100 ms): killed before that, it saved nothing.
      claudeSessionId = (await call<Session>('GET', `/v1/sessions/${id}`)).body.claudeSessionId;
      expect(claudeSessionId).toEqual(expect.any(String));
      expect(transcriptsOf(bed.claude, claudeSessionId!)).toEqual([]);
      process.kill(claudePid(before), 'SIGKILL');
      await waitForState(id, 'exited');
      const resumed = await call<Session>('POST', `/v1/sessions/${id}/resume`);
      expect(resumed.status).toBe(200);
      await waitForState(id, 'idle');
      // A new Claude Code session: the one the next resume resumes.
      const started = (await call<Session>('GET', `/v1/sessions/${id}`)).body.claudeSessionId;
      expect(started).toEqual(expect.any(String));
      expect(started).not.toBe(claudeSessionId);
      expect(await send(id, 'after the loss')).toMatchObject({ state: 'idle', response: 'Fresh start.' });
      await waitUntil(() => transcriptsOf(bed.claude, started!).length === 1, 30_000, 'the new conversation to be saved');
    } finally {
      await stopLoad();
    }
    const events = await bed.system.core.events.list(id, 0, { limit: 10_000 });
    const notices = events.filter((e) => e.type === 'notice').map((e) => e.payload);
    expect(notices).toEqual([
      {
        kind: 'conversation_not_found',
        text:
          `Claude Code's conversation ${claudeSessionId} was not found on worker ${bed.system.worker!.id}: its claude was killed ` +
          'before it first saved it (it saves once a prompt is submitted, then every 100 ms), or it was saved on a worker whose ' +
          "Claude Code home this one does not share. The session goes on in a new conversation: what was said before is in this session's " +
          "history, not in Claude's context.",
      },
    ]);
    // Told after the resume's `starting`, before the resumed CLI's first state.
    const types = events.map((e) => (e.type === 'state' ? e.payload.state : e.type));
    expect(types.slice(types.lastIndexOf('exited'))).toEqual(
      expect.arrayContaining(['exited', 'starting', 'notice', 'idle', 'user_message', 'assistant_message']),
    );
    expect(types.indexOf('notice')).toBeGreaterThan(types.lastIndexOf('exited') + 1);
    expect(types.indexOf('notice')).toBeLessThan(types.lastIndexOf('idle'));
    expect((await call<Session>('POST', `/v1/sessions/${id}/kill`)).body.state).toBe('exited');
  }, 300_000);

  it("what a claude killed -9 had cost still counts: its own metrics told it while it ran, and the resumed claude's cost is added to it", async () => {
    const replies = scriptByPrompt(bed.stub);
    replies['before the kill'] = [{ text: 'Spent a little.' }];
    replies['after the resume'] = [{ text: 'Spent a little more.' }];
    const before = new Set(processesIn(bed.workdir));
    const spawned = await call<Session>('POST', '/v1/sessions', { slot: 'default' });
    expect(spawned.status).toBe(201);
    const id = spawned.body.id;
    const sessionNow = async () => (await call<Session>('GET', `/v1/sessions/${id}`)).body;
    let killed: Session | undefined;
    const stopLoad = startCpuLoad();
    try {
      await waitForState(id, 'idle');
      expect(await send(id, 'before the kill')).toMatchObject({ state: 'idle', response: 'Spent a little.' });
      // Told while it runs (the CLI writes its own total only as it exits, which a kill -9 never lets it do).
      await waitUntil(async () => (await sessionNow()).costUsd !== null, 30_000, "the session's running cost");
      killed = await sessionNow();
      expect(killed.state).toBe('idle');
      process.kill(claudePid(before), 'SIGKILL');
      await waitForState(id, 'exited');
      expect((await sessionNow()).costUsd).toBe(killed.costUsd);
      expect((await call<Session>('POST', `/v1/sessions/${id}/resume`)).status).toBe(200);
      await waitForState(id, 'idle');
      expect(await send(id, 'after the resume')).toMatchObject({ state: 'idle', response: 'Spent a little more.' });
      await send(id, '/exit');
      await waitForState(id, 'exited');
    } finally {
      await stopLoad();
    }
    const ended = await sessionNow();
    // The resumed CLI's own total, written as it exited: its own turn only (the killed claude never wrote its total).
    const atExit = lastCostState(bed.claude, ended.claudeSessionId!)!;
    const [resumedTokens] = Object.values(atExit.modelUsage);
    expect(killed!.costUsd).toBeGreaterThan(0);
    expect(ended.costUsd).toBeCloseTo(killed!.costUsd! + atExit.totalCostUSD, 10);
    expect(ended.usage).toMatchObject({
      input_tokens: killed!.usage!.input_tokens! + resumedTokens!.inputTokens!,
      output_tokens: killed!.usage!.output_tokens! + resumedTokens!.outputTokens!,
    });
    // Told as it grew, never less than before.
    const told = (await bed.system.core.events.list(id, 0, { limit: 10_000 }))
      .filter((e): e is Extract<MissionEvent, { type: 'usage' }> => e.type === 'usage')
      .map((e) => e.payload.costUsd);
    expect(told.at(-1)).toBe(ended.costUsd);
    expect(told).toEqual([...new Set(told)].sort((x, y) => x - y));
  }, 300_000);

  it('the exit is recorded as SIGKILL, and the event stream goes on across each resume to the final end', async () => {
    const replies = scriptByPrompt(bed.stub);
    const rounds = 2;
    for (let round = 0; round <= rounds; round++) replies[`turn ${round}`] = [{ text: `Answer ${round}.` }];
    const before = new Set(processesIn(bed.workdir));
    const spawned = await call<Session>('POST', '/v1/sessions', { slot: 'default' });
    expect(spawned.status).toBe(201);
    const id = spawned.body.id;
    // Followed from the start: it must not end at the first exit.
    const followed = readSse(await bed.system.fetch(`/v1/sessions/${id}/events`));
    const stopLoad = startCpuLoad();
    try {
      await waitForState(id, 'idle');
      for (let round = 0; round < rounds; round++) {
        expect(await send(id, `turn ${round}`)).toMatchObject({ state: 'idle', response: `Answer ${round}.` });
        process.kill(claudePid(before), 'SIGKILL');
        await waitForState(id, 'exited');
        expect((await call<Session>('GET', `/v1/sessions/${id}`)).body).toMatchObject({
          state: 'exited',
          exitCode: null,
          exitSignal: 'SIGKILL',
        });
        const resumed = await call<Session>('POST', `/v1/sessions/${id}/resume`);
        expect(resumed.status).toBe(200);
        expect(resumed.body).toMatchObject({ exitCode: null, exitSignal: null });
        await waitForState(id, 'idle');
      }
      expect(await send(id, `turn ${rounds}`)).toMatchObject({ state: 'idle', response: `Answer ${rounds}.` });
    } finally {
      await stopLoad();
    }
    expect((await call<Session>('POST', `/v1/sessions/${id}/kill`)).body.state).toBe('exited');

    const messages = await followed;
    expect(messages.at(-1)?.event).toBe('end');
    const events = messages.filter((m) => m.id).map((m) => JSON.parse(m.data) as MissionEvent);
    expect(events.map((e) => e.seq)).toEqual((await bed.system.core.events.list(id, 0, { limit: 10_000 })).map((e) => e.seq));
    const answers = events.filter((e) => e.type === 'assistant_message').map((e) => (e.payload as { text: string }).text);
    // Every answer is in the one stream, in order, once: a resumed session reads its transcript from where the
    // killed claude's ended, not the earlier turns again.
    expect(answers).toEqual(Array.from({ length: rounds + 1 }, (_, round) => `Answer ${round}.`));
    const exits = events
      .filter((e): e is Extract<MissionEvent, { type: 'state' }> => e.type === 'state' && e.payload.state === 'exited')
      .map((e) => e.payload);
    expect(exits.slice(0, rounds)).toEqual(
      Array.from({ length: rounds }, () => ({ state: 'exited', exitCode: null, signal: 'SIGKILL', resumable: true })),
    );
    // The stream ended with the last exit, the one no resume followed.
    expect(events.at(-1)).toMatchObject({ type: 'state', payload: { state: 'exited' } });

    // Read again afterwards, without following: the whole history, then the end.
    const replayed = await readSse(await bed.system.fetch(`/v1/sessions/${id}/events?follow=false`));
    expect(replayed.filter((m) => m.id).map((m) => m.id)).toEqual(messages.filter((m) => m.id).map((m) => m.id));
    expect(replayed.at(-1)?.event).toBe('end');
  }, 300_000);
});
